// Strings a stack passes through unchanged, such as user data. Terraform reads every string of its JSON
// syntax as a template, so `${` and `%{` in a unit file or an SSH key comment would be evaluated:
// `$${` and `%%{` are its escapes for them (developer.hashicorp.com/terraform/language/expressions/strings,
// "Escape Sequences"). CDKTF writes strings as they are, so the escaping is ours. (Replacements are
// functions: in a replacement string, `$$` would mean one `$`.)
export const literal = (text: string): string => text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
