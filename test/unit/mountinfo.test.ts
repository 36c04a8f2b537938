/**
 * The other names of a host directory through the mount table
 * (src/plan/mountinfo.ts): what the planner checks void's own
 * installation under, besides the paths it was given.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aliasesOf, deviceName, parseMountinfo } from "../../src/plan/mountinfo.js";

// A host where /data is one filesystem (8:1), /home is a bind of /data/home, /mnt/b a bind of void's build directory,
// /srv another filesystem (8:2) and /proc procfs.
const TABLE = [
  "22 1 0:21 / /proc rw,relatime - proc proc rw",
  "1 0 8:3 / / rw,relatime - ext4 /dev/sda3 rw",
  "30 1 8:1 / /data rw,relatime shared:1 - ext4 /dev/sda1 rw",
  "31 1 8:1 /home /home rw,relatime shared:1 - ext4 /dev/sda1 rw",
  "32 1 8:1 /home/u/void/build /mnt/b ro,relatime - ext4 /dev/sda1 rw",
  "33 1 8:2 / /srv rw,relatime - ext4 /dev/sda2 rw",
  "34 1 8:2 /my\\040dir /mnt/with\\040space rw - ext4 /dev/sda2 rw",
  "not a mount line",
  "",
].join("\n");

describe("parseMountinfo", () => {
  it("reads each mount's device, root and mount point, unescaping them, and skips what is not a mount", () => {
    const mounts = parseMountinfo(TABLE);
    assert.equal(mounts.length, 7);
    assert.deepEqual(mounts[3], { dev: "8:1", root: "/home", mountPoint: "/home" });
    assert.deepEqual(mounts[6], { dev: "8:2", root: "/my dir", mountPoint: "/mnt/with space" });
  });
});

describe("aliasesOf", () => {
  const mounts = parseMountinfo(TABLE);
  it("finds a directory under every other mount of its filesystem that shows it", () => {
    assert.deepEqual(aliasesOf("/home/u/void", mounts).sort(), ["/data/home/u/void", "/mnt/b"]);
    assert.deepEqual(aliasesOf("/data/home/u/void/bin", mounts).sort(), ["/home/u/void/bin"]);
    assert.deepEqual(aliasesOf("/mnt/b/void.node", mounts).sort(), ["/data/home/u/void/build/void.node", "/home/u/void/build/void.node"]);
  });
  it("finds none for a directory its filesystem shows only once, nor through another filesystem's mounts", () => {
    assert.deepEqual(aliasesOf("/data/other", mounts), []);
    assert.deepEqual(aliasesOf("/srv/void", mounts), []);
    assert.deepEqual(aliasesOf("/usr/lib/node", mounts), []);
    assert.deepEqual(aliasesOf("/opt/void", []), []);
  });
  it("takes every mount stacked on the deepest point (more names, never fewer)", () => {
    const stacked = parseMountinfo(
      ["1 0 8:3 / / rw - ext4 a rw", "40 1 8:5 /x /opt rw - ext4 b rw", "41 1 8:6 / /opt rw - ext4 c rw", "42 1 8:5 / /e rw - ext4 b rw", "43 1 8:6 / /f rw - ext4 c rw"].join("\n"),
    );
    assert.deepEqual(aliasesOf("/opt/void", stacked).sort(), ["/e/x/void", "/f/void"]);
  });
});

describe("deviceName", () => {
  it("writes st_dev as mountinfo does, major:minor", () => {
    assert.equal(deviceName("2049"), "8:1");
    assert.equal(deviceName(String((259 << 8) | 3)), "259:3");
    assert.equal(deviceName("7"), "0:7");
    // A minor above 255: its high bits sit above the major's low ones (glibc's makedev).
    assert.equal(deviceName(String(((300 & 0xff) | (8 << 8) | ((300 & ~0xff) << 12)) >>> 0)), "8:300");
  });
});
