/**
 * The other names of a host directory through the mount table
 * (src/plan/mountinfo.ts): what the planner checks void's own
 * installation under, besides the paths it was given.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aliasesOf, deviceName, loopBacking, MountTable, parseMountinfo } from "../../src/plan/mountinfo.js";
import { isWithin } from "../../src/plan/paths.js";

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
  it("reads each mount's IDs, device, root and mount point, unescaping them, and skips what is not a mount", () => {
    const mounts = parseMountinfo(TABLE);
    assert.equal(mounts.length, 7);
    assert.deepEqual(mounts[3], { id: 31, parent: 1, dev: "8:1", root: "/home", mountPoint: "/home", deleted: false, layers: [], source: "/dev/sda1" });
    assert.deepEqual(mounts[6], { id: 34, parent: 1, dev: "8:2", root: "/my dir", mountPoint: "/mnt/with space", deleted: false, layers: [], source: "/dev/sda2" });
  });
});

describe("aliasesOf", () => {
  const mounts = parseMountinfo(TABLE);
  const names = (path: string, table = mounts) =>
    aliasesOf(path, table)
      .map((a) => (a.via === path ? a.name : `${a.name} <- ${a.via}`))
      .sort();
  it("finds a directory under every other mount of its filesystem that shows it", () => {
    assert.deepEqual(names("/home/u/void"), ["/data/home/u/void", "/mnt/b <- /home/u/void/build"]);
    assert.deepEqual(names("/data/home/u/void/bin"), ["/home/u/void/bin"]);
    assert.deepEqual(names("/mnt/b/void.node"), ["/data/home/u/void/build/void.node", "/home/u/void/build/void.node"]);
  });
  it("finds none for a directory its filesystem shows only once, nor through another filesystem's mounts", () => {
    assert.deepEqual(names("/data/other"), []);
    assert.deepEqual(names("/srv/void"), []);
    assert.deepEqual(names("/usr/lib/node"), []);
    assert.deepEqual(names("/opt/void", []), []);
  });
  it("finds where the files of a mount inside the path come from (a file or directory bound over a part of it)", () => {
    const table = parseMountinfo(
      ["1 0 8:3 / / rw - ext4 a rw", "50 1 8:3 /tmp/rw/void.cjs /opt/void/dist/void.cjs rw - ext4 a rw", "51 1 0:40 /x /opt/void/build rw - tmpfs t rw", "52 1 0:40 / /run/t rw - tmpfs t rw"].join(
        "\n",
      ),
    );
    assert.deepEqual(names("/opt/void", table), ["/run/t/x <- /opt/void/build", "/tmp/rw/void.cjs <- /opt/void/dist/void.cjs"]);
    assert.deepEqual(names("/opt/void/dist/void.cjs", table), ["/tmp/rw/void.cjs"]);
  });
  it("finds the mount that shows a path as the kernel does: the top of a stack, never one hidden by a later mount over a parent", () => {
    // /opt: 40, then 41 stacked on it; /work/w: a tmpfs, then /work bound over /work (which holds no tmpfs): hidden.
    const table = parseMountinfo(
      [
        "1 0 8:3 / / rw - ext4 a rw",
        "40 1 8:5 /x /opt rw - ext4 b rw",
        "41 40 8:6 / /opt rw - ext4 c rw",
        "42 1 8:5 / /e rw - ext4 b rw",
        "43 1 8:6 / /f rw - ext4 c rw",
        "60 1 0:50 / /work/w rw - tmpfs stale rw",
        "61 1 8:3 /work /work rw - ext4 a rw",
        "62 1 8:3 /work /tmp/alias rw - ext4 a rw",
      ].join("\n"),
    );
    assert.deepEqual(names("/opt/void", table), ["/f/void"]);
    assert.deepEqual(names("/work/w/void", table), ["/tmp/alias/w/void"]);
  });
  it("falls back to every mount on the deepest point when the table has no root", () => {
    const rootless = parseMountinfo(["40 9 8:5 /x /opt rw - ext4 b rw", "41 9 8:6 / /opt rw - ext4 c rw", "42 9 8:5 / /e rw - ext4 b rw", "43 9 8:6 / /f rw - ext4 c rw"].join("\n"));
    assert.deepEqual(names("/opt/void", rootless), ["/e/x/void", "/f/void"]);
  });
});

describe("an overlay", () => {
  it("shows its layers' files: each layer is another name of what it shows", () => {
    const table = new MountTable(
      parseMountinfo(["1 0 8:3 / / rw - ext4 a rw", "70 1 0:42 / /opt/void/dist rw,relatime shared:5 - overlay overlay rw,lowerdir=/l1:/l\\0542,upperdir=/w/up,workdir=/w/wk,uuid=on"].join("\n")),
    );
    assert.deepEqual(table.mounts[1]?.layers, ["/l1", "/l,2", "/w/up"]);
    assert.deepEqual(
      table
        .aliasesOf("/opt/void")
        .map((a) => `${a.name} <- ${a.via}`)
        .sort(),
      ["/l,2 <- /opt/void/dist", "/l1 <- /opt/void/dist", "/w/up <- /opt/void/dist"],
    );
  });
  it("shows what is in a layer, or a layer in a directory: the overlay, and each mount of it, is another name of that", () => {
    const table = new MountTable(
      parseMountinfo(
        [
          "1 0 8:3 / / rw - ext4 a rw",
          "70 1 0:42 / /merged rw - overlay overlay rw,lowerdir=/l1,upperdir=/w/up,workdir=/w/wk",
          "71 1 0:42 /etc /srv/etc rw - overlay overlay rw,lowerdir=/l1,upperdir=/w/up,workdir=/w/wk",
        ].join("\n"),
      ),
    );
    const names = (p: string) =>
      table
        .aliasesOf(p)
        .map((a) => `${a.name} <- ${a.via}`)
        .sort();
    assert.deepEqual(names("/w/up"), ["/merged <- /w/up", "/srv/etc <- /w/up/etc"]);
    assert.deepEqual(names("/w"), ["/merged <- /w/up", "/srv/etc <- /w/up/etc"], "a directory holding the upper layer");
    assert.deepEqual(names("/l1/etc/app"), ["/merged/etc/app <- /l1/etc/app", "/srv/etc/app <- /l1/etc/app"], "a directory in a lower layer");
    assert.deepEqual(names("/elsewhere"), []);
  });
  it("reads a colon in a layer's name as overlayfs writes it (\\: shown as \\134:, or the colon as \\072), and leaves relative layers out", () => {
    const [older, newer, relative] = parseMountinfo(
      [
        "70 1 0:42 / /m1 rw - overlay overlay rw,lowerdir=/a\\134:b:/c,upperdir=/u\\134:v,workdir=/w",
        "71 1 0:43 / /m2 rw - overlay overlay rw,lowerdir=/a\\072b:/c,upperdir=/u,workdir=/w",
        "72 1 0:44 / /m3 rw - overlay overlay rw,lowerdir=l/ABC:l/DEF,upperdir=/u2,workdir=/w2",
      ].join("\n"),
    );
    assert.deepEqual(older?.layers, ["/a:b", "/c", "/u:v"]);
    assert.deepEqual(newer?.layers, ["/a:b", "/c", "/u"]);
    assert.deepEqual(relative?.layers, ["/u2"]);
  });
  it("follows names of names: an overlay whose layer is a bind of the path, an overlay of an overlay, a layer named through a symlink", () => {
    const table = new MountTable(
      parseMountinfo(
        [
          "1 0 8:3 / / rw - ext4 a rw",
          // /srv/rw bound at /binds/rw; an overlay with that bind as its upper layer.
          "40 1 8:3 /srv/rw /binds/rw rw - ext4 a rw",
          "41 1 0:50 / /merged1 rw - overlay overlay rw,lowerdir=/l1,upperdir=/binds/rw,workdir=/w1",
          // An overlay whose lower layer is /merged1: /merged2 shows /srv/rw too.
          "42 1 0:51 / /merged2 rw - overlay overlay rw,lowerdir=/merged1,upperdir=/u2,workdir=/w2",
          // A layer named through a symlink (/links/data -> /data).
          "43 1 0:52 / /merged3 rw - overlay overlay rw,lowerdir=/links/data,upperdir=/u3,workdir=/w3",
        ].join("\n"),
      ),
      (p) => (isWithin(p, "/links/data") ? `/data${p.slice("/links/data".length)}` : p),
    );
    const names = (p: string) => table.aliasesOf(p).map((a) => a.name);
    assert.deepEqual(names("/srv/rw").sort(), ["/binds/rw", "/merged1", "/merged2"]);
    // The other way: what an overlay shows comes from its layers, and theirs (a lower layer that is itself an overlay).
    const nested = new MountTable(
      parseMountinfo(
        [
          "1 0 8:3 / / rw - ext4 a rw",
          "50 1 0:60 / /m2 rw - overlay overlay rw,lowerdir=/l2,upperdir=/home/u/up2,workdir=/w2",
          "51 1 0:61 / /opt/void/dist rw - overlay overlay rw,lowerdir=/m2/lower,upperdir=/u1,workdir=/w1",
        ].join("\n"),
      ),
    );
    assert.ok(
      nested
        .aliasesOf("/opt/void/dist/void.cjs")
        .map((a) => a.name)
        .includes("/home/u/up2/lower/void.cjs"),
      JSON.stringify(nested.aliasesOf("/opt/void/dist/void.cjs")),
    );
    assert.ok(names("/data/x").includes("/merged3/x"), JSON.stringify(names("/data/x")));
  });
});

describe("a loop device's mount (a disk image, a snap)", () => {
  // /data/img/disk.img is mounted at /mnt/img (loop0), a partition of /data/img/big.img at /mnt/p1 (loop1p1).
  const table = new MountTable(
    parseMountinfo(
      [
        "1 0 8:3 / / rw - ext4 a rw",
        "60 1 7:0 / /mnt/img rw - ext4 /dev/loop0 rw",
        "61 1 7:0 /sub /srv/sub rw - ext4 /dev/loop0 rw",
        "62 1 259:1 / /mnt/p1 rw - ext4 /dev/loop1p1 rw",
        "63 1 7:2 / /snap/node/1 ro - squashfs /dev/loop2 ro",
      ].join("\n"),
    ),
    (p) => p,
    loopBacking((path) => (path === "/sys/block/loop0/loop/backing_file" ? "/data/img/disk.img\n" : path === "/sys/block/loop1/loop/backing_file" ? "/data/img/big.img (deleted)\n" : null)),
  );
  const names = (p: string) =>
    table
      .aliasesOf(p)
      .map((a) => `${a.name} <- ${a.via}`)
      .sort();
  it("has its file as another name: whoever writes the image rewrites what it shows", () => {
    assert.deepEqual(names("/mnt/img/bin/app"), ["/data/img/disk.img <- /mnt/img/bin/app"]);
    assert.deepEqual(names("/mnt/p1/x"), ["/data/img/big.img <- /mnt/p1/x"]);
    assert.deepEqual(names("/snap/node/1/bin/node"), [], "a loop device whose file cannot be read is another filesystem");
  });
  it("shows what a directory holding its file holds, at every mount of its filesystem", () => {
    assert.deepEqual(names("/data/img"), ["/mnt/img <- /data/img/disk.img", "/mnt/p1 <- /data/img/big.img", "/srv/sub <- /data/img/disk.img/sub"]);
    assert.deepEqual(names("/data/other"), []);
  });
});

describe("a mount of a file whose name was removed (//deleted)", () => {
  // The same unlinked file bound over void's bundle and into a writable directory; /etc/hosts as a container's.
  const table = new MountTable(
    parseMountinfo(
      [
        "1 0 8:3 / / rw - ext4 a rw",
        "50 1 8:3 /src/void.cjs//deleted /opt/void/dist/void.cjs rw - ext4 a rw",
        "51 1 8:3 /src/void.cjs//deleted /w/copy.cjs rw - ext4 a rw",
        "52 1 8:9 /containers/x/hosts//deleted /etc/hosts rw - ext4 h rw",
      ].join("\n"),
    ),
  );
  it("keeps one root for both mounts, so that each is the other's name", () => {
    assert.deepEqual(table.mounts[1]?.root, "/src/void.cjs/deleted");
    assert.equal(table.mounts[1]?.deleted, true);
    assert.deepEqual(
      table
        .aliasesOf("/opt/void")
        .map((a) => `${a.name} <- ${a.via}`)
        .sort(),
      ["/src/void.cjs/deleted <- /opt/void/dist/void.cjs", "/w/copy.cjs <- /opt/void/dist/void.cjs"],
    );
  });
  it("says which mounts showing a path, or a part of it, show a file whose name was removed", () => {
    assert.deepEqual(
      table.deletedUnder("/opt/void").map((m) => m.mountPoint),
      ["/opt/void/dist/void.cjs"],
    );
    assert.deepEqual(
      table.deletedUnder("/usr/lib").map((m) => m.mountPoint),
      [],
    );
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
