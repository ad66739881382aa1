// Certificates' validity as a node's clock sees it: from an hour before they were made, so a node whose
// clock lags the operator's machine at first boot accepts them.
import { X509Certificate } from "node:crypto";
import { BACKDATE_MS, createCa, issueLeaf } from "../../src/secrets/pki";

const DAY_MS = 24 * 60 * 60 * 1000;
const SLACK_MS = 10_000;

describe("certificate validity", () => {
  it.each([
    ["the CA", 3650, async () => (await createCa("etcd-ca")).cert],
    ["a member certificate", 1825, async () => (await issueLeaf(await createCa("etcd-ca"), { commonName: "control-01", usage: "server-and-client", ips: ["10.43.0.10"] })).cert],
  ])("%s starts an hour in the past and ends %i days from now", async (_what, days, make) => {
    const made = Date.now();
    const cert = new X509Certificate(await make());
    const from = new Date(cert.validFrom).getTime();
    const to = new Date(cert.validTo).getTime();
    expect(BACKDATE_MS).toBe(60 * 60 * 1000);
    expect(Math.abs(from - (made - BACKDATE_MS))).toBeLessThan(SLACK_MS);
    expect(Math.abs(to - (made + days * DAY_MS))).toBeLessThan(SLACK_MS);
  });

  it("a node clock 50 minutes behind the operator's already accepts the certificate", async () => {
    const cert = new X509Certificate((await createCa("etcd-ca")).cert);
    const lagging = Date.now() - 50 * 60 * 1000;
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(lagging);
  });
});
