// Handlebars fills the bodies of files and units from templates/. Compiled once each, in strict mode
// (a missing value is an error, not an empty string) and without HTML escaping, which would corrupt
// unit files. Every value is computed before a template sees it. Units and drop-ins explain themselves
// in Handlebars comments, which stay out of the output: Ignition cannot compress unit text, and each
// byte counts against the user-data limits.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";
import { projectFile } from "../project";

const compiled = new Map<string, HandlebarsTemplateDelegate>();

export function renderTemplate(name: string, values: object): string {
  let template = compiled.get(name);
  if (!template) {
    const source = readFileSync(projectFile(join("templates", `${name}.hbs`)), "utf8");
    template = Handlebars.compile(source, { strict: true, noEscape: true });
    compiled.set(name, template);
  }
  return template(values);
}
