// For the tests that read synthesized stacks, and the boot test, which runs outside jest: this file
// needs none of jest's globals.

/** What Terraform makes of a string stacks/literal.ts escaped (`$${` and `%%{`): the text itself. */
export const unliteral = (template: string): string => template.replace(/\$\$\{/g, () => "${").replace(/%%\{/g, () => "%{");
