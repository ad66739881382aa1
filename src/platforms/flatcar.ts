// What Flatcar publishes the same way for several platforms: its release server and its release calendar.
import type { Os } from "../spec/cluster";

/**
 * A file of a release on Flatcar's release server: one directory a release under
 * https://<channel>.release.flatcar-linux.net/amd64-usr/, `current` a copy of the newest (Flatcar's
 * "Notes for distributors"). Vagrant's box and the KVM and OpenStack images come from there.
 */
export const flatcarReleaseFile = (os: Os, file: string): string => `https://${os.channel}.release.flatcar-linux.net/amd64-usr/${os.version}/${file}`;

/**
 * The day a Flatcar major was branched: majors count days since 2013-07-01 (flatcar/flatcar-website
 * content/docs/latest/devguide/release-guide.md, "Calculate the major version"). A release of that
 * major (its .2.x stable releases among them) is published on that day or later.
 */
export function flatcarMajorDate(version: string): Date {
  const day = new Date(Date.UTC(2013, 6, 1));
  day.setUTCDate(day.getUTCDate() + Number(version.split(".")[0]));
  return day;
}
