// Public key lines, checked as strictly as azurerm checks them: whole keys of their own type, padded
// base64, nothing after the last field; Azure takes ed25519 and RSA of 2048 bits or more. OpenSSH's own
// ssh-keygen reads the same lines and must agree on each.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { azureAcceptsKey } from "../../src/platforms/azure";
import { azureTakes, parseSshKey } from "../../src/spec/ssh-key";
import { tempDir } from "../helpers/cli";
import { sshKey } from "../helpers/ssh-keys";
import { testWithTools } from "../helpers/tools";

const DEFAULT_KEY = /^ {4}- (ssh-ed25519 .*)$/m.exec(readFileSync(join(__dirname, "../../cluster.yaml"), "utf8"))![1]!;
const ed25519 = sshKey("ssh-ed25519");
const body = ed25519.split(" ")[1]!;
const cutOrMistyped = /^is cut or mistyped: /;

/** Lines and what parseSshKey says of each: the key, or a message matching a pattern. */
const LINES: readonly [string, string, object | RegExp][] = [
  ["an ed25519 key", ed25519, { type: "ssh-ed25519" }],
  ["the default cluster.yaml's placeholder", DEFAULT_KEY, { type: "ssh-ed25519" }],
  ["an ed25519 key without a comment, with spaces around", `  ssh-ed25519 ${body}  `, { type: "ssh-ed25519" }],
  ["an RSA key of 2048 bits", sshKey("ssh-rsa"), { type: "ssh-rsa", bits: 2048 }],
  ["an RSA key of 1024 bits", sshKey("ssh-rsa", 1, "x", 1024), { type: "ssh-rsa", bits: 1024 }],
  ["an ECDSA key", sshKey("ecdsa-sha2-nistp256"), { type: "ecdsa-sha2-nistp256" }],
  ["the key without its padding (the old default's)", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoKeyReplaceMeWithYourOwnPublicKey00000 operator@laptop", cutOrMistyped],
  ["the key cut short", `ssh-ed25519 ${body.slice(0, 48)}`, cutOrMistyped],
  ["another type's key", `ssh-rsa ${body}`, /^is cut or mistyped: its key says it is ssh-ed25519, not ssh-rsa/],
  ["bytes after the last field", `ssh-ed25519 ${Buffer.concat([Buffer.from(body, "base64"), Buffer.from("junk")]).toString("base64")}`, cutOrMistyped],
  ["a point off the curve", `ecdsa-sha2-nistp256 ${Buffer.concat([Buffer.from(sshKey("ecdsa-sha2-nistp256").split(" ")[1]!, "base64").subarray(0, -1), Buffer.from([0])]).toString("base64")}`, /not on the nistp256 curve/],
  ["no key at all", "ssh-ed25519", /^must be an OpenSSH public key line/],
  ["an unknown type", `ssh-foo ${body}`, /^must be an OpenSSH public key line .*, of a type OpenSSH writes$/],
];

describe("public key lines", () => {
  it.each(LINES)("%s", (_name, line, expected) => {
    const result = parseSshKey(line);
    if (expected instanceof RegExp) expect(result).toMatch(expected);
    else expect(result).toEqual(expected);
  });

  it("Azure takes ed25519 keys and RSA keys of 2048 bits or more, whole", () => {
    expect([ed25519, DEFAULT_KEY, sshKey("ssh-rsa"), sshKey("ssh-rsa", 2, "x", 4096)].every(azureAcceptsKey)).toBe(true);
    expect([sshKey("ssh-rsa", 1, "x", 1024), sshKey("ecdsa-sha2-nistp256"), `ssh-ed25519 ${body.slice(0, 48)}`].some(azureAcceptsKey)).toBe(false);
    expect(azureTakes({ type: "ssh-rsa", bits: 2047 })).toBe(false);
  });

  testWithTools(["ssh-keygen"])("ssh-keygen reads a line exactly when parseSshKey does, for keys it made itself and every line above", () => {
    const dir = tempDir("coreform-ssh-");
    const made = ["ed25519", "rsa", "ecdsa"].map((type) => {
      execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", `made@${type}`, "-f", join(dir, type)]);
      return readFileSync(join(dir, `${type}.pub`), "utf8").trim();
    });
    const keygenReads = (line: string) => {
      writeFileSync(join(dir, "k.pub"), `${line}\n`);
      try {
        execFileSync("ssh-keygen", ["-l", "-f", join(dir, "k.pub")], { stdio: "pipe" });
        return true;
      } catch {
        return false;
      }
    };
    for (const line of [...made, ...LINES.map(([, l]) => l)]) expect([line, typeof parseSshKey(line) !== "string"]).toEqual([line, keygenReads(line)]);
    expect(made.map((l) => typeof parseSshKey(l))).toEqual(["object", "object", "object"]);
  });
});
