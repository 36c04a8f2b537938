/*
 * hostile — what a void that wants out tries, one attack per argument,
 * each printed as "NAME RESULT" (RESULT: "ok", or the errno name), so a
 * test asserts every line. Attacks (argv[1..]):
 *   tty            on fds 0, 1, 2: isatty, TIOCSTI (plain and with high
 *                  bits set, the CVE-2019-10063 form), TIOCLINUX, TCSETS
 *                  (echo off), TCXONC (TCOOFF), a read; getsid
 *   suid DIR       in a writable DIR: every way to make a setuid/setgid
 *                  file or directory, then a plain chmod 0755 (allowed)
 *   families       sockets of families a void has no use for
 *   reach-init     void-init's fds and memory: pidfd_getfd, ptrace,
 *                  process_vm_readv, /proc/1/mem and /proc/1/fd
 *   ptrace         each ptrace request a debugger or an attacker makes
 *                  (attach, seize, peek, poke, detach of pid 1; TRACEME
 *                  with high bits set), then PTRACE_TRACEME itself, then
 *                  raise SIGWINCH (ignored, but a tracer is told of it
 *                  first) and print "after-traceme-signal ok": under
 *                  void run -d only TRACEME and DETACH pass the filter,
 *                  and void-init, made its tracer, lets it go on
 *   newest         system calls past the filter's table, and the ones it
 *                  refuses by name
 *   procsys        open /proc's kernel-wide files for writing (with Procfs),
 *                  show its own projid_map ("projid-map 0 0 1") and write
 *                  one ("projid-map-write": EPERM, written already)
 *   budgets        kernel budgets charged to the launcher's host uid: how
 *                  many inotify instances it can hold ("inotify-instances
 *                  N" and the errno that stopped it), how many watches one
 *                  instance takes on /, /dev, /dev/null, /proc, /tmp...
 *                  ("inotify-watches N"), unshare(CLONE_NEWUSER), and
 *                  raising its own limit through /proc/sys/user (Procfs)
 *   flood-stdout N write N bytes to stdout as fast as possible
 *   swap-symlink FD, swap-fifo FD
 *                  replace /rw/granted.txt by a symlink to ../outside.txt
 *                  or by a FIFO, then write "go" and a newline to FD (a
 *                  Pipe to an entrypoint holding that file as a File); as
 *                  entrypoint names, so a spec can pass them ("Entrypoint")
 *   cat-fd FD      copy fd FD to stdout
 *   swap-dir FD    replace the directory /rw/shared by a relative symlink
 *                  to ../outside (a sibling of the writable directory),
 *                  then write "go" and a newline to FD
 *   cat-data       copy /data/file.txt to stdout
 *   plant-mountpoint FD TARGET
 *                  replace the directory /rw/sub by a symlink to TARGET
 *                  (a host path under /oldroot, where the launcher's child
 *                  sees the host while it builds a void), then write "go"
 *                  and a newline to FD
 *   plant-cwd FD TARGET
 *                  replace the directory /rw/work by a symlink to TARGET,
 *                  then write "go" and a newline to FD
 *   own-inode FD PATH
 *                  what a void whose uid owns a file tries on it: first,
 *                  in a user and mount namespace of its own (where it may
 *                  mount: "unshare-userns", SeccompUnconfined), clear the
 *                  read-only flag of FD's mount ("clear-read-only"); on fd FD
 *                  (a File grant, or 1: its stdout) fchmod 0606
 *                  ("fchmod-fd"), futimens to 1970 ("futimens-fd"), a
 *                  user.* xattr ("setxattr-fd"), a reopen through
 *                  /proc/self/fd for writing ("reopen-write-fd", with
 *                  Procfs); on PATH (a device node of its own /dev) chmod
 *                  0600 ("chmod-path") and utimensat ("utime-path")
 *   nested         print "nested ran"
 *   exec-writable DIR
 *                  write an executable script into DIR and execve it
 *                  ("exec-writable": EACCES on a noexec mount)
 *   socket-ns FD   (also as socket-ns-*, an entrypoint's name)
 *                  on fd FD (a socket the launcher made: stdin, a
 *                  broker or FileSocket end): the interfaces of the
 *                  socket's network namespace ("interfaces NAMES|none",
 *                  SIOCGIFCONF) and bind an abstract name on it
 *                  ("bind-abstract": EINVAL, it has an address already)
 *   host-budgets   kernel budgets the host shares with every process:
 *                  io_setup of 65,536 events (fs.aio-max-nr, host-wide:
 *                  "io-setup", ENOSYS) and SHM_LOCK of a shared memory
 *                  segment (charged to the launcher's uid: "shm-lock",
 *                  EPERM), SO_ZEROCOPY on a TCP socket (its pinned pages
 *                  likewise: "zerocopy", EPERM), SO_PASSPIDFD on a
 *                  unix socket ("passpidfd", EPERM), and huge pages from
 *                  the host's reserved pool: mmap MAP_HUGETLB,
 *                  memfd_create MFD_HUGETLB, shmget SHM_HUGETLB
 *                  ("hugetlb-mmap", "hugetlb-memfd", "hugetlb-shm": EPERM),
 *                  same-page merging ("ksm-prctl", "ksm-madvise": EPERM),
 *                  module-loading socket ioctls ("module-ioctl-vlan",
 *                  "module-ioctl-bridge": EPERM), whether same-page
 *                  merging is on ("ksm-merging 0"),
 *                  IP protocols the filter refuses ("sock-udplite",
 *                  "sock-udplite6", "sock-mptcp", "sock-sctp":
 *                  EPROTONOSUPPORT) and TCP ("sock-tcp", ok), a clone
 *                  with CLONE_UNTRACED ("clone-untraced": EPERM)
 *   sched-state    what it inherited of its launcher's scheduling:
 *                  "sched oom_score_adj N nice N policy N ioclass N
 *                  rtprio N/N rlimit-nice N/N core-hard N" (Procfs for
 *                  oom_score_adj; -1 for unlimited)
 *   page-cache FILE
 *                  read FILE, then ask the kernel to drop its pages from
 *                  the page cache: posix_fadvise(POSIX_FADV_DONTNEED)
 *                  ("fadvise-dontneed"), madvise MADV_COLD and
 *                  MADV_PAGEOUT on a shared mapping of it ("madvise-cold",
 *                  "madvise-pageout": ok, done as nothing), and read it
 *                  with RWF_NOWAIT ("read-nowait": EOPNOTSUPP)
 *   resident FILE  (run outside a void) how many of FILE's pages are in
 *                  the page cache ("resident N/M", mincore)
 *   evict FILE     (run outside a void) posix_fadvise(DONTNEED) on FILE,
 *                  then as resident: whether its filesystem lets pages go
 *   stdin-back     on fd 0 (the shared stdin socket): send a memfd with
 *                  SCM_RIGHTS ("stdin-send-fd"), write a byte ("stdin-write")"
 *   linger RPC_FD  (as an entrypoint, with lo up) make a TCP socket whose
 *                  close would wait 25 s (SO_LINGER, unsent data), send
 *                  it to the launcher on RPC_FD, sleep 30 s
 *   linger-relayed RPC_FD PORT
 *                  send a lingering socket, then the listener it waits on,
 *                  through a brokered UDP socket (a unix socket the launcher
 *                  relays); exit at once
 *   backlog-copies RPC_FD write-end|other
 *                  a close the launcher cannot make (splice-stuck), then at
 *                  once 1,120 fds whose closes cannot wait, then a probe:
 *                  "probe-closed yes|no MS"
 *   relay-backlog RPC_FD PORT
 *                  (with Procfs) 2,000 opens of such a pipe pushed through a
 *                  brokered UDP socket while it takes them: "opened N sent
 *                  M", then "measured" a second later
 *   splice-many RPC_FD
 *                  (with Procfs) reopen one such pipe 24 times through
 *                  /proc/self/fd and send each open to the launcher, 130 ms
 *                  apart: "started", then "sent-many"
 *   splice-stuck RPC_FD
 *                  send the launcher a pipe's read end whose last close waits
 *                  uninterruptibly (a child splices into the pipe from an
 *                  empty socket, holding its lock), then a probe socket:
 *                  "probe-closed yes|no MS"
 *   linger-queued RPC_FD
 *                  lingering sockets (and the listener they wait on) left
 *                  unread in the broker socket's queue, the broker then made
 *                  to close that socket (SHUT_RD: its reply fails); sleep 5 s
 *   linger-nested RPC_FD
 *                  the same sockets hidden in flight in the receive queues
 *                  of three unix sockets sent to the launcher; then a probe
 *                  socket: "probe-closed yes|no MS", how soon the launcher
 *                  closed it
 *   linger17 RPC_FD
 *                  the same, the socket sent as the 17th fd of one packet
 *                  (one more than the launcher takes: the kernel would
 *                  close it inside the launcher's recvmsg)
 *   bystander      (as an entrypoint) sleep 30 s
 *   thief          (as an entrypoint, with Procfs) shut its streams down,
 *                  reopen its stdout through /proc for reading and report
 *                  whether it saw another void's output ("stolen yes/no")
 *   victim         (as an entrypoint) print "victim line <i>" 20 times
 *                  over a second
 *   lock-stdout    (as an entrypoint) fill its stdout pipe (1 MiB), then
 *                  hold the pipe's lock for 3 s (splice() from an empty
 *                  socket into it waits holding the lock)
 *   steady-stdout  (as an entrypoint) write 1 KiB to stdout every 10 ms
 *                  for 4 s; print "longest-write-ms N", its slowest write
 *   lock-trigger FD  (as an entrypoint) write "msg1" and "msg2" to pipe
 *                  FD (a Pipe trigger's), then hold that pipe's lock for
 *                  5 s (splice() into it from an empty socket)
 *   recv-slow MSG  (as an entrypoint) print "recv MSG", sleep 1 s
 *   ticker         (as an entrypoint) print "tick N at S" every 200 ms
 *                  for 10 s (S: seconds since it started)
 *   many-jobs FD   (as an entrypoint) write "job-0" .. "job-19" to pipe FD
 *   bulk-writer MSG FD  (as an entrypoint, one void per message) print
 *                  "started MSG at S" (S: CLOCK_MONOTONIC seconds), write
 *                  64 KiB to pipe FD, exit
 *   slow-reader FD (as an entrypoint) sleep 3 s, then read pipe FD to its
 *                  end and print "read-start at S"
 *   jobs FD        (as an entrypoint) write the messages "evil", "alice"
 *                  and "bob" to pipe FD, 300 ms apart
 *   worker MSG FD  (as an entrypoint, one void per message) write "result
 *                  for MSG" to pipe FD, which the voids of every message
 *                  are given; for MSG "evil", reopen FD through /proc for
 *                  reading instead, and print each "stolen: ..." three
 *                  readers of it read in 2 s
 *   results FD     (as an entrypoint) print each line pipe FD carries as
 *                  "received: ..."
 *   attack-all     (as an entrypoint) tty, families, reach-init, newest,
 *                  procsys, suid /rw, then 8 MiB to stdout
 *   sender FD      (as an entrypoint) write "msg-0" .. "msg-1999", one
 *                  line each, to pipe FD; as "sender-N", N of them
 *   tcp-ask PORT TEXT, udp-ask PORT TEXT
 *                  a client of a Connect grant: send TEXT to 127.0.0.1:PORT
 *                  (TCP: then half-close; UDP: sendto on an unconnected
 *                  socket) and print "reply <what came back>" (TCP: until
 *                  end of file; UDP: one datagram within 3 s) or
 *                  "reply-error <errno>"
 *   egress PORT    what a void with a Connect at 127.0.0.1:PORT tries
 *                  besides it: bind that port itself for TCP and UDP
 *                  ("egress-bind-tcp"/"-udp": EADDRINUSE), reach another
 *                  loopback port, a private and a public address
 *                  ("egress-tcp-other"...: ECONNREFUSED, ENETUNREACH)
 *   tcp-hold PORT N
 *                  open N TCP connections to 127.0.0.1:PORT, write "hi"
 *                  on each, then print "held K" (how many got their first
 *                  byte back within 3 s, the rest were closed or silent)
 *   churn PROTO PORT N
 *                  N clients of a Connect grant one after another (PROTO
 *                  tcp or udp), each a new connection or a new client port
 *                  (a flow): send "x", wait up to 3 s for the echo, close;
 *                  print "churned K MS" (K echoes came back in MS ms)
 *   landlock-abi   (run directly, not in a void) print the kernel's
 *                  Landlock ABI version, 0 without Landlock
 *   move-across DIR...
 *                  in each absolute DIR: make a/ and b/ and a/f, then link a/f to
 *                  b/l and rename a/f to b/f ("move-across-link:DIR",
 *                  "move-across-rename:DIR")
 *   write-open PATH...
 *                  open each PATH for writing (O_WRONLY|O_NONBLOCK, no
 *                  creation), write a byte, and print "write-open:PATH
 *                  <errno or ok>"
 *   echo MSG       (as an entrypoint) print "got MSG"
 *   send-bytes FD HEX...
 *                  (as an entrypoint) write each HEX, decoded, to pipe FD,
 *                  one write(2) each: a Pipe trigger's messages as bytes
 *   listener-reaim LISTEN_FD PORT
 *                  accept one connection, then try to point it at
 *                  127.0.0.1:PORT: connect(AF_UNSPEC) + connect(), sendto()
 *                  with that address, sendmsg() with MSG_FASTOPEN; ask it
 *                  for the host's interfaces (SIOCGIFCONF; and FIONREAD,
 *                  which stays); write "held" on it and close; then shut
 *                  the listener down (a closed socket again) and try the
 *                  same on it
 *   listener-rebind LISTEN_FD PORT
 *                  shut the granted listener down (a closed socket again),
 *                  then bind it to 127.0.0.1:PORT and listen there; print
 *                  where it listens after
 *   listener-reuseport LISTEN_FD
 *                  set SO_REUSEPORT on the granted listener, attach a
 *                  reuseport BPF program (classic and eBPF); print the
 *                  results and "reuseport-on N" (the option as it is after)
 *   rpc-churn RPC_FD PORT N
 *                  open N TCP sockets to 127.0.0.1:PORT through the broker
 *                  one after another, closing each; print "rpc-churned K
 *                  MS" (K were opened, in MS ms)
 *   rpc-reaim RPC_FD PORT1 PORT2
 *                  open TCP and UDP sockets to 127.0.0.1:PORT1 through the
 *                  broker, try to point each at PORT2 (connect, sendto,
 *                  sendmsg with an address), send "udp-ok" on the UDP one,
 *                  and ask for ::ffff:127.0.0.1 port PORT2 as an IPv6
 *                  address
 *   ksm-on LAUNCHER [ARGS...]
 *                  (not in a void) turn same-page merging on for itself,
 *                  as systemd's MemoryKSM=yes does, and exec LAUNCHER
 *   log-flood RPC_FD PIPE_FD N CLOSED_PORT
 *                  (as an entrypoint) send the broker N requests its Rpc
 *                  list refuses, N malformed ones, 8 carrying 128 fds
 *                  each (malformed too) and N allowed ones to
 *                  127.0.0.1:CLOSED_PORT, where nobody listens, one at a
 *                  time, each answered, then write N messages with a NUL
 *                  byte into a Pipe trigger ("log-flood REFUSED MALFORMED
 *                  FAILED WRITTEN MS": replies of each kind, messages
 *                  written, and the milliseconds the requests took)
 *   nul-flood PIPE_FD KIB
 *                  (as an entrypoint) write KIB KiB of "\0\n" into a
 *                  Pipe trigger, 4 KiB a write ("nul-flood MESSAGES")
 *   fd-packets FS_FD K M
 *                  (as an entrypoint) send K packets of M fds each on a
 *                  FileSocket ("fd-packets SENT")
 *   pass-holder RPC_FD PORT OTHER
 *                  (as an entrypoint) open a TCP socket to 127.0.0.1:PORT
 *                  through the broker and try to hand it to another void
 *                  through /shared: make AF_UNIX sockets ("unix-stream",
 *                  "unix-dgram", "unix-seqpacket", socketpairs "unix-pair"
 *                  of streams, "unix-pair-dgram", "unix-pair-seqpacket"),
 *                  listen on /shared/s and send it to whoever connects
 *                  within 3 s, and send it to a datagram socket at
 *                  /shared/d (from the datagram socket, and from the
 *                  datagram pair's end)
 *                  ("pass-sent N": how many times it went); OTHER is the
 *                  taker's port (both take the same trailing arguments)
 *   pass-taker PORT OTHER
 *                  (as an entrypoint) wait up to 3 s for a socket from
 *                  /shared (bind /shared/d, connect to /shared/s), then
 *                  point it at 127.0.0.1:OTHER ("taker-got",
 *                  "taker-connect")
 *   empty-packets SOCK FILE
 *                  (as an entrypoint) on a FileSocket shared with another
 *                  writer: an empty packet, an empty packet carrying FILE,
 *                  a one-byte packet; prints "sent 3"
 *   count-fds [FD...]
 *                  (as an entrypoint) print "packet with N fds"
 *   udp-quota RPC_FD PORT
 *                  open 20 brokered UDP sockets to 127.0.0.1:PORT, keeping
 *                  them, and print "udp-opened N" and the first failure
 *   (as entrypoint names, so a spec can pass them with "Entrypoint")
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <stddef.h>
#include <net/if.h>
#include <sys/xattr.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "void.h"

static void result(const char *name, long rc) {
  const char *e = rc < 0 ? strerrorname_np(errno) : NULL;
  printf("%s %s\n", name, rc < 0 ? (e ? e : "?") : "ok");
  fflush(stdout);
}

/* Types "INJECTED" and a newline into the terminal on fd, one TIOCSTI per
 * byte, as an attacker would; returns the first call's result. */
static long inject(int fd) {
  const char *text = "INJECTED\n";
  long first = 0;
  for (const char *p = text; *p; p++) {
    long rc = ioctl(fd, TIOCSTI, p);
    if (p == text) first = rc;
    if (rc < 0) break;
  }
  return first;
}

static void tty(void) {
  for (int fd = 0; fd <= 2; fd++) {
    char name[64], c = 'x';
    snprintf(name, sizeof name, "isatty-%d", fd);
    printf("%s %s\n", name, isatty(fd) ? "yes" : "no");
    snprintf(name, sizeof name, "tiocsti-%d", fd);
    result(name, inject(fd));
    snprintf(name, sizeof name, "tiocsti-high-%d", fd);
    result(name, syscall(SYS_ioctl, fd, 0x100000000UL | TIOCSTI, &c));
    snprintf(name, sizeof name, "tioclinux-%d", fd);
    char sub = 0;
    result(name, ioctl(fd, TIOCLINUX, &sub));
    struct termios t;
    snprintf(name, sizeof name, "tcgetattr-%d", fd);
    long rc = tcgetattr(fd, &t);
    result(name, rc);
    if (rc == 0) {
      t.c_lflag &= ~(tcflag_t)ECHO;
      snprintf(name, sizeof name, "echo-off-%d", fd);
      result(name, tcsetattr(fd, TCSANOW, &t));
    } else {
      snprintf(name, sizeof name, "echo-off-%d", fd);
      result(name, -1);
    }
    snprintf(name, sizeof name, "tcooff-%d", fd);
    result(name, tcflow(fd, TCOOFF));
    if (fd > 0) {
      /* An output fd that is the shell's read-write terminal reads its keys. */
      int fl = fcntl(fd, F_GETFL);
      fcntl(fd, F_SETFL, fl | O_NONBLOCK);
      snprintf(name, sizeof name, "read-%d", fd);
      result(name, read(fd, &c, 1));
      fcntl(fd, F_SETFL, fl);
    }
  }
  printf("session-leader %s\n", getsid(0) == getpid() ? "yes" : "no");
  printf("own-session %s\n", getsid(0) == 1 || getsid(0) == getpid() ? "yes" : "no");
  fflush(stdout);
}

static void suid(const char *dir) {
  if (chdir(dir) < 0) {
    result("chdir", -1);
    return;
  }
  int fd = open("plain", O_CREAT | O_WRONLY | O_TRUNC, 0755);
  result("create-plain", fd);
  result("chmod-4755", chmod("plain", 04755));
  result("chmod-2755", chmod("plain", 02755));
  result("fchmod-4755", fchmod(fd, 04755));
  result("fchmodat-6755", fchmodat(AT_FDCWD, "plain", 06755, 0));
  result("fchmodat2-4755", syscall(452, AT_FDCWD, "plain", 04755, 0));
  result("open-creat-4755", syscall(SYS_open, "made-open", O_CREAT | O_WRONLY, 04755));
  result("openat-creat-2755", syscall(SYS_openat, AT_FDCWD, "made-openat", O_CREAT | O_WRONLY, 02755));
  result("openat-tmpfile-4755", syscall(SYS_openat, AT_FDCWD, ".", O_TMPFILE | O_WRONLY, 04755));
  result("openat-high-bits", syscall(SYS_openat, AT_FDCWD, "made-high", 0xff00000000UL | O_CREAT | O_WRONLY, 0xff00000000UL | 04755));
  result("creat-4755", creat("made-creat", 04755));
  result("mkdir-2755", mkdir("made-dir", 02755));
  result("mknod-fifo-4644", mknod("made-fifo", S_IFIFO | 04644, 0));
  result("chmod-0700", chmod("plain", 0700));
  /* What exists now: no file may carry the bits. */
  const char *names[] = {"plain", "made-open", "made-openat", "made-high", "made-creat", "made-dir", "made-fifo"};
  int any = 0;
  for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
    struct stat st;
    if (stat(names[i], &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID))) any = 1;
  }
  printf("setid-files %s\n", any ? "present" : "none");
  fflush(stdout);
}

static void families(void) {
  struct {
    const char *name;
    int family, type, proto;
  } f[] = {
      {"af_vsock", 40, SOCK_STREAM, 0},           {"af_packet", AF_PACKET, SOCK_RAW, 0},
      {"af_alg", 38, SOCK_SEQPACKET, 0},          {"af_key", 15, SOCK_RAW, 2},
      {"af_bluetooth", 31, SOCK_RAW, 0},          {"netlink_audit", AF_NETLINK, SOCK_RAW, 9},
      {"netlink_route", AF_NETLINK, SOCK_RAW, 0}, {"af_unix", AF_UNIX, SOCK_STREAM, 0},
      {"af_inet", AF_INET, SOCK_STREAM, 0},       {"af_inet6", AF_INET6, SOCK_DGRAM, 0},
  };
  for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++) {
    long s = socket(f[i].family, f[i].type, f[i].proto);
    result(f[i].name, s);
    if (s >= 0) close((int)s);
  }
  int sv[2];
  result("socketpair_inet", socketpair(AF_INET, SOCK_STREAM, 0, sv));
  result("socketpair_unix", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  result("af_vsock_high_bits", syscall(SYS_socket, 0x100000000UL | 40, SOCK_STREAM, 0));
  /* The kernel turns AF_INET + SOCK_PACKET (10) into a packet socket. */
  result("af_inet_sock_packet", socket(AF_INET, 10, htons(0x0003)));
  result("af_inet_sock_packet_cloexec", socket(AF_INET, 10 | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(0x0003)));
}

static void ptrace_requests(void) {
  long word = 0;
  result("ptrace-attach-1", syscall(SYS_ptrace, PTRACE_ATTACH, 1, 0, 0));
  result("ptrace-seize-1", syscall(SYS_ptrace, PTRACE_SEIZE, 1, 0, 0));
  result("ptrace-peekdata-1", syscall(SYS_ptrace, PTRACE_PEEKDATA, 1, 0x400000, &word));
  result("ptrace-pokedata-1", syscall(SYS_ptrace, PTRACE_POKEDATA, 1, 0x400000, 0));
  result("ptrace-interrupt-1", syscall(SYS_ptrace, PTRACE_INTERRUPT, 1, 0, 0));
  /* PTRACE_TRACEME with high bits: the kernel uses the whole long (an unknown request). */
  result("ptrace-traceme-high-bits", syscall(SYS_ptrace, 0x100000000L | PTRACE_TRACEME, 0, 0, 0));
  /* Passes the debug filter; pid 1 is not its tracee. */
  result("ptrace-detach-1", syscall(SYS_ptrace, PTRACE_DETACH, 1, 0, 0));
  result("ptrace-traceme", syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0));
  signal(SIGWINCH, SIG_DFL);
  raise(SIGWINCH);
  result("after-traceme-signal", 0);
}

static void reach_init(void) {
  long pidfd = syscall(SYS_pidfd_open, 1, 0);
  result("pidfd_open-1", pidfd);
  long got = -1;
  int err = EBADF;
  for (int fd = 0; fd < 16 && pidfd >= 0; fd++) {
    got = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (got >= 0) break;
    err = errno;
  }
  errno = err;
  result("pidfd_getfd", got);
  result("ptrace-attach-1", ptrace(PTRACE_ATTACH, 1, 0, 0));
  char buf[16];
  struct iovec local = {buf, sizeof buf}, remote = {(void *)0x400000, sizeof buf};
  result("process_vm_readv-1", syscall(SYS_process_vm_readv, 1, &local, 1, &remote, 1, 0));
  result("proc-1-mem", open("/proc/1/mem", O_RDONLY));
  result("proc-1-fd", open("/proc/1/fd/0", O_RDONLY));
  result("personality-addr-no-randomize", personality(ADDR_NO_RANDOMIZE));
  result("personality-query", personality(0xffffffff));
}

static void newest(void) {
  result("statmount", syscall(457, 0, 0, 0, 0));
  result("listmount", syscall(458, 0, 0, 0, 0));
  result("mseal", syscall(462, 0, 0, 0));
  result("nr-600", syscall(600));
  result("io_uring_setup", syscall(SYS_io_uring_setup, 1, NULL));
  result("keyctl", syscall(SYS_keyctl, 0));
  result("mq_open", syscall(SYS_mq_open, "x", O_RDONLY, 0, NULL));
  result("fanotify_init", syscall(SYS_fanotify_init, 0, 0));
  result("clone3", syscall(SYS_clone3, NULL, 0));
  result("openat2", syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0));
  result("lease", fcntl(1, F_SETLEASE, F_RDLCK));
  struct rlimit lim;
  result("prlimit-init", prlimit(1, RLIMIT_NOFILE, NULL, &lim));
  result("prlimit-self", prlimit(0, RLIMIT_NOFILE, NULL, &lim));
  result("getpid", syscall(SYS_getpid));
}

static void budgets(void) {
  int n = 0;
  long rc = 0;
  while (n < 4096 && (rc = syscall(SYS_inotify_init1, O_CLOEXEC)) >= 0) n++;
  printf("inotify-instances %d\n", n);
  result("inotify-instances-then", rc);
  for (long fd = rc < 0 ? 3 : rc; fd < 3 + n; fd++) close((int)fd);
  int in = (int)syscall(SYS_inotify_init1, O_CLOEXEC);
  const char *paths[] = {"/", "/dev", "/dev/null", "/proc", "/proc/self", "/proc/sys", "/proc/sys/user"};
  int watches = 0;
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    long w = syscall(SYS_inotify_add_watch, in, paths[i], IN_ALL_EVENTS);
    if (w >= 0)
      watches++;
    else if (errno == ENOSPC)
      break;
  }
  printf("inotify-watches %d\n", watches);
  close(in);
  result("unshare-user", syscall(SYS_unshare, CLONE_NEWUSER));
  result("unshare-net", syscall(SYS_unshare, CLONE_NEWNET));
  result("raise-user-limit", open("/proc/sys/user/max_inotify_instances", O_WRONLY));
  fflush(stdout);
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

/* The ways to point a connected socket elsewhere. */
static void reaim(const char *what, int fd, int port) {
  char name[64];
  /* What the socket's network namespace (the host's) has for interfaces; then an ioctl programs do use. */
  struct ifconf ifc;
  char ifbuf[4096];
  ifc.ifc_len = sizeof ifbuf;
  ifc.ifc_buf = ifbuf;
  snprintf(name, sizeof name, "%s-ifconf", what);
  result(name, ioctl(fd, SIOCGIFCONF, &ifc));
  int queued = 0;
  snprintf(name, sizeof name, "%s-fionread", what);
  result(name, ioctl(fd, FIONREAD, &queued));
  struct sockaddr_in to = loopback(port);
  struct sockaddr unspec = {.sa_family = AF_UNSPEC};
  snprintf(name, sizeof name, "%s-sendto", what);
  result(name, sendto(fd, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&to, sizeof to));
  struct iovec iov = {"y", 1};
  struct msghdr msg = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1};
  snprintf(name, sizeof name, "%s-sendmsg-name", what);
  result(name, sendmsg(fd, &msg, MSG_NOSIGNAL));
  /* TCP Fast Open: sendmsg connects a closed socket to msg_name. */
  snprintf(name, sizeof name, "%s-fastopen", what);
  result(name, sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_FASTOPEN | MSG_DONTWAIT));
  snprintf(name, sizeof name, "%s-disconnect", what);
  result(name, connect(fd, &unspec, sizeof unspec));
  snprintf(name, sizeof name, "%s-connect", what);
  result(name, connect(fd, (struct sockaddr *)&to, sizeof to));
}

static int readable_within(int fd, int ms);

static void no_wait(int sig) {
  (void)sig; /* only to end the wait it interrupts */
}

/* close(fd) that waits for no lingering socket: this process's own copy
 * may turn out to be the last one (the launcher may already have closed
 * its copy of what was sent), and the last close of a lingering socket,
 * or of a unix socket holding some, would wait the linger time here. A
 * periodic SIGALRM (no SA_RESTART) ends such a wait, as the launcher's
 * closer timer does. */
static void quick_close(int fd) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = no_wait;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval every = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &every, NULL);
  close(fd);
  setitimer(ITIMER_REAL, &off, NULL);
}

/* A listener on the void's loopback `port` that never accepts, with a tiny
 * receive buffer; -1 on failure. */
static int idle_listener(int port) {
  int l = socket(AF_INET, SOCK_STREAM, 0), small = 4096;
  setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  struct sockaddr_in a = loopback(port);
  if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4) < 0) return -1;
  return l;
}

/* A TCP socket connected to the idle listener on `port` whose close would
 * wait 25 s: SO_LINGER on, and unsent data the peer will not take. */
static int lingering_to(int port) {
  struct sockaddr_in a = loopback(port);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) return -1;
  fcntl(c, F_SETFL, O_NONBLOCK);
  static char junk[65536];
  while (write(c, junk, sizeof junk) > 0) {
  }
  struct linger lg = {1, 25};
  setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  return c;
}

/* Both: the listener stays open (and unread) until the void exits. */
static int lingering_socket(int port) {
  return idle_listener(port) < 0 ? -1 : lingering_to(port);
}

/* Sends fd over the AF_UNIX socket s (to `to` when not NULL): 1 if it went. */
static int send_fd(int s, int fd, const struct sockaddr_un *to) {
  char byte = 'x', control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {.msg_name = (void *)to,
                       .msg_namelen = to ? sizeof *to : 0,
                       .msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control,
                       .msg_controllen = sizeof control};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(s, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == 1;
}

/* Sends `len` bytes of `data` with the `n` fds `fds` (SCM_RIGHTS) on s: what sendmsg returns. */
static ssize_t send_with_fds(int s, const void *data, size_t len, const int *fds, int n, int flags) {
  char control[CMSG_SPACE(253 * sizeof(int))];
  memset(control, 0, sizeof control);
  struct iovec iov = {(void *)data, len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = CMSG_SPACE(n * sizeof(int))};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(n * sizeof(int));
  memcpy(CMSG_DATA(c), fds, n * sizeof(int));
  return sendmsg(s, &msg, flags);
}

/* The probe of the closer attacks: one end of a fresh socket pair sent to
 * the launcher on `rpc` (waiting up to 5 s for room), this process's copy
 * closed; prints "probe-closed yes|no MS": whether, and how soon, the
 * launcher closed its copy (the other end sees EOF), waiting `ms` at most. */
static void send_probe(int rpc, int ms) {
  int probe[2];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  struct pollfd room = {rpc, POLLOUT, 0};
  int ready = 0;
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, probe) == 0) {
    bool sent = poll(&room, 1, 5000) == 1 && send_fd(rpc, probe[1], NULL);
    quick_close(probe[1]);
    struct pollfd eof = {probe[0], POLLIN, 0};
    ready = sent ? poll(&eof, 1, ms) : 0;
    close(probe[0]);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long took = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  printf("probe-closed %s %ld\n", ready == 1 ? "yes" : "no", took);
  fflush(stdout);
}

/* An fd received on s within ms, or -1. */
static int recv_fd(int s, int ms) {
  struct pollfd p = {s, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return -1;
  char byte, control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  if (recvmsg(s, &msg, MSG_DONTWAIT) < 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static struct sockaddr_un shared_address(const char *name) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path, sizeof a.sun_path, "/shared/%s", name);
  return a;
}

/* The holder's side of handing a brokered TCP socket to another void. */
static void pass_holder(int rpc, int port) {
  char err[256];
  int tcp = void_rpc_open_tcp(rpc, "127.0.0.1", port, AF_INET, err, sizeof err);
  result("holder-tcp", tcp);
  int stream = socket(AF_UNIX, SOCK_STREAM, 0), dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
  int seqpacket = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), pair[2];
  result("unix-stream", stream);
  result("unix-dgram", dgram);
  result("unix-seqpacket", seqpacket);
  result("unix-pair", socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
  /* A connected datagram socket still sends wherever sendmsg() names. */
  int dpair[2] = {-1, -1}, spair[2];
  result("unix-pair-dgram", socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dpair));
  result("unix-pair-seqpacket", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, spair));
  int sent = 0;
  if (tcp >= 0) {
    struct sockaddr_un s = shared_address("s"), d = shared_address("d");
    unlink(s.sun_path);
    if (stream >= 0 && bind(stream, (struct sockaddr *)&s, sizeof s) == 0) {
      chmod(s.sun_path, 0777);
      listen(stream, 4);
    }
    for (int round = 0; round < 30; round++) {
      if (stream >= 0 && readable_within(stream, 0)) {
        int conn = accept(stream, NULL, NULL);
        if (conn >= 0) sent += send_fd(conn, tcp, NULL);
        close(conn);
      }
      if (dgram >= 0) sent += send_fd(dgram, tcp, &d);
      if (dpair[0] >= 0) sent += send_fd(dpair[0], tcp, &d);
      struct timespec t = {0, 100 * 1000 * 1000};
      nanosleep(&t, NULL);
    }
    unlink(s.sun_path);
  }
  printf("pass-sent %d\n", sent);
  fflush(stdout);
}

/* The taker's side: a socket from /shared, pointed at 127.0.0.1:port. */
static void pass_taker(int port) {
  struct sockaddr_un s = shared_address("s"), d = shared_address("d");
  int dgram = socket(AF_UNIX, SOCK_DGRAM, 0), got = -1;
  unlink(d.sun_path);
  if (dgram >= 0 && bind(dgram, (struct sockaddr *)&d, sizeof d) == 0) chmod(d.sun_path, 0777);
  for (int round = 0; round < 30 && got < 0; round++) {
    got = recv_fd(dgram, 50);
    int stream = socket(AF_UNIX, SOCK_STREAM, 0);
    if (got < 0 && stream >= 0 && connect(stream, (struct sockaddr *)&s, sizeof s) == 0) got = recv_fd(stream, 50);
    close(stream);
    struct timespec t = {0, 50 * 1000 * 1000};
    nanosleep(&t, NULL);
  }
  unlink(d.sun_path);
  result("taker-got", got < 0 ? (errno = ENOENT, -1) : 0);
  if (got < 0) return;
  struct sockaddr unspec = {.sa_family = AF_UNSPEC};
  struct sockaddr_in to = loopback(port);
  connect(got, &unspec, sizeof unspec);
  result("taker-connect", connect(got, (struct sockaddr *)&to, sizeof to));
}

/* Seconds-bounded wait for fd to be readable: 1, or 0 at the timeout. */
static int readable_within(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, ms) > 0;
}

static void ask(int tcp, int port, const char *text) {
  struct sockaddr_in to = loopback(port);
  int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  char buf[65536];
  size_t got = 0;
  if (fd < 0) goto fail;
  if (tcp) {
    if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0 || write(fd, text, strlen(text)) < 0 || shutdown(fd, SHUT_WR) < 0) goto fail;
    ssize_t n;
    errno = 0;
    while (got < sizeof buf - 1 && readable_within(fd, 5000) && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
    if (got == 0 && errno != 0 && errno != EAGAIN) goto fail;
  } else {
    if (sendto(fd, text, strlen(text), 0, (struct sockaddr *)&to, sizeof to) < 0) goto fail;
    if (!readable_within(fd, 3000)) {
      errno = ETIMEDOUT;
      goto fail;
    }
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    if (n < 0) goto fail;
    got = (size_t)n;
  }
  buf[got] = 0;
  printf("reply %s\n", buf);
  fflush(stdout);
  close(fd);
  return;
fail:
  printf("reply-error %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
  fflush(stdout);
  if (fd >= 0) close(fd);
}

static void egress(int port) {
  struct sockaddr_in at = loopback(port);
  int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
  result("egress-bind-tcp", bind(t, (struct sockaddr *)&at, sizeof at));
  result("egress-bind-udp", bind(u, (struct sockaddr *)&at, sizeof at));
  close(t);
  close(u);
  const char *names[] = {"egress-tcp-other", "egress-tcp-private", "egress-tcp-public"};
  const char *ips[] = {"127.0.0.1", "10.0.0.1", "1.1.1.1"};
  for (int k = 0; k < 3; k++) {
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(k == 0 ? (port == 65535 ? 1 : port + 1) : port))};
    inet_pton(AF_INET, ips[k], &to.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    result(names[k], connect(fd, (struct sockaddr *)&to, sizeof to));
    close(fd);
  }
  struct sockaddr_in dns = {.sin_family = AF_INET, .sin_port = htons(53)};
  inet_pton(AF_INET, "1.1.1.1", &dns.sin_addr);
  int d = socket(AF_INET, SOCK_DGRAM, 0);
  result("egress-udp-public", sendto(d, "x", 1, 0, (struct sockaddr *)&dns, sizeof dns));
  close(d);
}

static void tcp_hold(int port, int count) {
  int fds[1024], held = 0;
  if (count > 1024) count = 1024;
  for (int k = 0; k < count; k++) {
    struct sockaddr_in to = loopback(port);
    fds[k] = socket(AF_INET, SOCK_STREAM, 0);
    if (fds[k] >= 0 && (connect(fds[k], (struct sockaddr *)&to, sizeof to) < 0 || write(fds[k], "hi", 2) < 0)) {
      close(fds[k]);
      fds[k] = -1;
    }
  }
  for (int k = 0; k < count; k++) {
    char b;
    if (fds[k] >= 0 && readable_within(fds[k], 3000) && read(fds[k], &b, 1) == 1) held++;
  }
  printf("held %d\n", held);
  fflush(stdout);
  for (int k = 0; k < count; k++)
    if (fds[k] >= 0) close(fds[k]);
}

static void churn(int tcp, int port, int count) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int echoed = 0;
  for (int k = 0; k < count; k++) {
    struct sockaddr_in to = loopback(port);
    int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    char b;
    if (fd >= 0 && connect(fd, (struct sockaddr *)&to, sizeof to) == 0 && write(fd, "x", 1) == 1 && readable_within(fd, 3000) && read(fd, &b, 1) == 1)
      echoed++;
    if (fd >= 0) close(fd);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("churned %d %lld\n", echoed, (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "attack-all") == 0) {
    tty();
    families();
    reach_init();
    newest();
    result("proc-sys-core_pattern", open("/proc/sys/kernel/core_pattern", O_WRONLY));
    suid("/rw");
    static char block[65536];
    memset(block, 'z', sizeof block);
    for (int k = 0; k < 128; k++)
      if (write(1, block, sizeof block) < 0) break;
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "linger-relayed") == 0) {
    int rpc = atoi(argv[2]), port = atoi(argv[3]);
    /* A brokered UDP socket is a unix socket the launcher relays: a
     * lingering socket sent through it, and the listener it waits on after
     * it, land in the relay's queue. */
    char err[256];
    int u = void_rpc_open_udp(rpc, "127.0.0.1", port, AF_INET, err, sizeof err);
    if (u < 0) {
      printf("open-udp failed: %s\n", err);
      return 3;
    }
    int p = idle_listener(7100), l = lingering_to(7100);
    if (p < 0 || l < 0) return 4;
    if (!send_fd(u, l, NULL) || !send_fd(u, p, NULL)) return 5;
    quick_close(l);
    quick_close(p);
    printf("relayed\n");
    fflush(stdout);
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "backlog-copies") == 0) {
    int rpc = atoi(argv[2]);
    bool write_end = strcmp(argv[3], "write-end") == 0;
    /* A close the launcher cannot make (a pipe's read end whose lock a
     * child holds, as splice-stuck), then at once 1,120 fds whose closes
     * cannot wait (copies of the pipe's write end, which this process
     * still holds, or of a socket of its own), 16 a packet, then a probe:
     * closed at once, or is the launcher no longer taking fds? */
    int s[2], p[2], other[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0 || pipe(p) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, other) < 0) return 3;
    pid_t child = fork();
    if (child == 0) {
      close(p[0]);
      alarm(8); /* holds the lock 8 s at most: this process's own close of a copy may be the last, and would wait for it */
      splice(s[0], NULL, p[1], NULL, 4096, 0);
      _exit(0);
    }
    usleep(200000);
    if (!send_fd(rpc, p[0], NULL)) return 4;
    close(p[0]);
    int copy = write_end ? p[1] : other[0], many[16];
    for (int i = 0; i < 16; i++) many[i] = copy;
    for (int k = 0; k < 70; k++) {
      struct pollfd w = {rpc, POLLOUT, 0};
      if (poll(&w, 1, 5000) != 1 || send_with_fds(rpc, "x", 1, many, 16, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) break;
    }
    send_probe(rpc, 8000);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "relay-backlog") == 0) {
    int rpc = atoi(argv[2]), port = atoi(argv[3]);
    /* Closes the launcher cannot make (opens of one pipe whose lock a
     * child holds, as splice-many), 2,000 of them, pushed through a brokered
     * UDP socket (a relayed unix socket) as fast as it takes them: the relay
     * must stop taking them, not fill the launcher's fd table. */
    enum { OPENS = 2000 };
    static int opens[OPENS];
    int s[2], p[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0 || pipe(p) < 0) return 3;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    int n = 0;
    while (n < OPENS && (opens[n] = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) >= 0) n++;
    char err[256];
    int u = void_rpc_open_udp(rpc, "127.0.0.1", port, AF_INET, err, sizeof err);
    if (u < 0) return 4;
    pid_t child = fork();
    if (child == 0) {
      close(p[0]);
      for (int i = 0; i < n; i++) close(opens[i]);
      alarm(8); /* holds the lock 8 s at most: this process's own close of a copy may be the last, and would wait for it */
      splice(s[0], NULL, p[1], NULL, 4096, 0);
      _exit(0);
    }
    usleep(200000);
    int sent = 0;
    for (int i = 0; i < n; i++) {
      struct pollfd w = {u, POLLOUT, 0};
      if (poll(&w, 1, 2000) != 1 || !send_fd(u, opens[i], NULL)) break; /* the relay stopped taking them */
      close(opens[i]);
      sent++;
    }
    printf("opened %d sent %d\n", n, sent);
    fflush(stdout);
    sleep(1);
    printf("measured\n");
    fflush(stdout);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "splice-many") == 0) {
    int rpc = atoi(argv[2]);
    /* One pipe reopened through /proc (Procfs) again and again, first (an
     * open takes the pipe's lock too): each open is a file of that pipe
     * whose last close waits for the same lock, which a child then holds
     * (as splice-stuck). Sent one by one, slower than the launcher takes a
     * close to be stuck. */
    int s[2], p[2], opens[24];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0 || pipe(p) < 0) return 3;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    for (int i = 0; i < 24; i++)
      if ((opens[i] = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) return 4;
    pid_t child = fork();
    if (child == 0) {
      close(p[0]);
      for (int i = 0; i < 24; i++) close(opens[i]);
      alarm(8); /* holds the lock 8 s at most: this process's own close of a copy may be the last, and would wait for it */
      splice(s[0], NULL, p[1], NULL, 4096, 0);
      _exit(0);
    }
    printf("started\n");
    fflush(stdout);
    usleep(200000);
    for (int i = 0; i < 24; i++) {
      if (!send_fd(rpc, opens[i], NULL)) return 5;
      close(opens[i]);
      usleep(130000);
    }
    printf("sent-many\n");
    fflush(stdout);
    sleep(2);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "splice-stuck") == 0) {
    int rpc = atoi(argv[2]);
    /* A close no signal ends: a child splices from an empty socket into a
     * pipe, holding the pipe's lock while it waits; the last close of the
     * pipe's read end, sent to the launcher, waits for that lock
     * (pipe_release). Then a probe: is the launcher still closing what it
     * is sent? */
    int s[2], p[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0 || pipe(p) < 0) return 3;
    pid_t child = fork();
    if (child == 0) {
      close(p[0]); /* the launcher's copy must be the last */
      alarm(8);    /* holds the lock 8 s at most: this process's own close of a copy may be the last, and would wait for it */
      splice(s[0], NULL, p[1], NULL, 4096, 0);
      _exit(0);
    }
    close(p[1]);
    usleep(200000); /* the child waits in splice by now */
    if (!send_fd(rpc, p[0], NULL)) return 4;
    close(p[0]);
    usleep(300000);
    send_probe(rpc, 10000);
    kill(child, SIGKILL); /* lets go of the lock: the launcher's close ends */
    waitpid(child, NULL, 0);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "linger-queued") == 0) {
    int rpc = atoi(argv[2]);
    /* Lingering sockets left unread in the broker socket's queue, with the
     * listener their peers wait on among them (so nothing can ever answer
     * them once the queue is dropped), then the broker made to close it: a
     * reply cannot reach a socket shut for reading. */
    int p = idle_listener(7000), l1 = lingering_to(7000), l2 = lingering_to(7000);
    if (p < 0 || l1 < 0 || l2 < 0) return 3;
    shutdown(rpc, SHUT_RD);
    /* The junk and the three fds in one system call (sendmmsg): sent one
     * after the other, the broker could read the junk and close the socket
     * before the fds went (EPIPE), when the probe lost its core in between. */
    int queued[] = {l1, p, l2};
    char junk[] = "junk", byte = 'x';
    union {
      char buf[CMSG_SPACE(sizeof(int))];
      struct cmsghdr align;
    } control[3];
    struct iovec iov[4] = {{junk, 4}, {&byte, 1}, {&byte, 1}, {&byte, 1}};
    struct mmsghdr msgs[4];
    memset(msgs, 0, sizeof msgs);
    memset(control, 0, sizeof control);
    for (int i = 0; i < 4; i++) {
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      if (i == 0) continue;
      msgs[i].msg_hdr.msg_control = control[i - 1].buf;
      msgs[i].msg_hdr.msg_controllen = sizeof control[i - 1].buf;
      struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &queued[i - 1], sizeof(int));
    }
    int sent = sendmmsg(rpc, msgs, 4, MSG_NOSIGNAL);
    if (sent != 4) return sent < 1 ? 4 : 5; /* 5: the broker closed the socket between two of them (the test runs it again) */
    for (int i = 0; i < 3; i++) quick_close(queued[i]);
    printf("queued\n");
    fflush(stdout);
    sleep(5);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "linger-nested") == 0) {
    int rpc = atoi(argv[2]);
    /* Three unix sockets in a row, each holding lingering sockets in flight
     * in its receive queue, where the launcher's setsockopt cannot reach
     * them: the last close of each would wait 25 s for them. */
    for (int k = 0; k < 3; k++) {
      int pair[2];
      if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0) return 3;
      for (int j = 0; j < 4; j++) {
        int c = lingering_socket(6000 + 4 * k + j);
        if (c < 0) return 4;
        if (!send_fd(pair[0], c, NULL)) return 5;
        quick_close(c);
      }
      quick_close(pair[0]);
      if (!send_fd(rpc, pair[1], NULL)) return 6;
      quick_close(pair[1]);
    }
    usleep(200000);
    /* Then a probe: the launcher's closer closes its end at once, or it is stuck. */
    send_probe(rpc, 15000);
    return 0;
  }
  if (argc >= 3 && (strcmp(argv[1], "linger") == 0 || strcmp(argv[1], "linger17") == 0)) {
    int rpc = atoi(argv[2]);
    int c = lingering_socket(6000);
    if (c < 0) return 4;
    int fds[17];
    int many = strcmp(argv[1], "linger17") == 0 ? 17 : 1;
    for (int i = 0; i < many - 1; i++) fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    fds[many - 1] = c;
    /* By hand: void_send_fds sends at most the 16 the launcher takes. */
    char control[CMSG_SPACE(sizeof fds)];
    memset(control, 0, sizeof control);
    struct iovec iov = {"x", 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)many)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)many);
    memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)many);
    if (sendmsg(rpc, &msg, MSG_NOSIGNAL) < 0) return 5;
    for (int i = 0; i < many; i++) quick_close(fds[i]);
    printf("sent\n");
    fflush(stdout);
    sleep(30);
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "empty-packets") == 0) {
    int sock = atoi(argv[2]), file = atoi(argv[3]);
    result("empty", send(sock, "", 0, 0));
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct msghdr msg = {.msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &file, sizeof file);
    result("empty-with-fd", sendmsg(sock, &msg, 0));
    result("one-byte", send(sock, "x", 1, 0));
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "count-fds") == 0) {
    printf("packet with %d fds\n", argc - 2);
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "thief") == 0) {
    result("shutdown-stdout", shutdown(1, SHUT_WR));
    result("shutdown-stderr", shutdown(2, SHUT_WR));
    result("shutdown-stdin", shutdown(0, SHUT_RD));
    int fd = open("/proc/self/fd/1", O_RDONLY | O_NONBLOCK);
    result("reopen-stdout-for-reading", fd);
    struct timespec ts = {1, 200000000};
    nanosleep(&ts, NULL);
    static char seen[65536];
    ssize_t n = fd >= 0 ? read(fd, seen, sizeof seen - 1) : -1;
    if (n < 0) n = 0;
    seen[n] = 0;
    printf("stolen %s\n", strstr(seen, "victim") ? "yes" : "no");
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "victim") == 0) {
    for (int k = 0; k < 20; k++) {
      printf("victim line %d\n", k);
      fflush(stdout);
      struct timespec ts = {0, 50000000};
      nanosleep(&ts, NULL);
    }
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "lock-stdout") == 0) {
    static char junk[1 << 20];
    memset(junk, '.', sizeof junk);
    junk[sizeof junk - 1] = '\n';
    fcntl(1, F_SETPIPE_SZ, 1 << 20);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 1;
    pid_t p = fork();
    if (p == 0) {
      if (write(1, junk, sizeof junk) < 0) _exit(1);
      _exit(splice(sv[0], NULL, 1, NULL, 1, 0) < 0); /* holds the pipe's lock until a byte comes */
    }
    sleep(3);
    if (write(sv[1], "\n", 1) < 0) return 1;
    waitpid(p, NULL, 0);
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "steady-stdout") == 0) {
    static char line[1024];
    memset(line, 'v', sizeof line);
    line[sizeof line - 1] = '\n';
    struct timespec start, t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long worst = 0;
    for (;;) {
      clock_gettime(CLOCK_MONOTONIC, &t0);
      if (t0.tv_sec - start.tv_sec >= 4) break;
      if (write(1, line, sizeof line) != (ssize_t)sizeof line) return 1;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
      if (ms > worst) worst = ms;
      struct timespec ts = {0, 10000000};
      nanosleep(&ts, NULL);
    }
    printf("longest-write-ms %ld\n", worst);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "lock-trigger") == 0) {
    int fd = atoi(argv[2]);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 1;
    alarm(5);
    /* msg1 starts the receiver (concurrency 1, it sleeps 1 s), msg2 waits
     * in the pipe while this process holds the pipe's lock. */
    if (write(fd, "msg1\n", 5) != 5) return 1;
    struct timespec ts = {0, 300000000};
    nanosleep(&ts, NULL);
    if (write(fd, "msg2\n", 5) != 5) return 1;
    splice(sv[0], NULL, fd, NULL, 4096, 0); /* waits holding the pipe's lock, until the alarm */
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "recv-slow") == 0) {
    printf("recv %s\n", argv[2]);
    fflush(stdout);
    sleep(1);
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "ticker") == 0) {
    struct timespec start, t;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int k = 0; k < 50; k++) {
      clock_gettime(CLOCK_MONOTONIC, &t);
      printf("tick %d at %.1f\n", k, (double)(t.tv_sec - start.tv_sec) + (double)(t.tv_nsec - start.tv_nsec) / 1e9);
      fflush(stdout);
      struct timespec ts = {0, 200000000};
      nanosleep(&ts, NULL);
    }
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "many-jobs") == 0) {
    for (int k = 0; k < 20; k++) dprintf(atoi(argv[2]), "job-%d\n", k);
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "bulk-writer") == 0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    printf("started %s at %.3f\n", argv[2], (double)t.tv_sec + (double)t.tv_nsec / 1e9);
    fflush(stdout);
    static char block[4000];
    memset(block, 'b', sizeof block - 1);
    block[sizeof block - 1] = '\n';
    for (int k = 0; k < 16; k++)
      if (write(atoi(argv[3]), block, sizeof block) < 0) return 1;
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "slow-reader") == 0) {
    sleep(3);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    printf("read-start at %.3f\n", (double)t.tv_sec + (double)t.tv_nsec / 1e9);
    fflush(stdout);
    char buf[65536];
    while (read(atoi(argv[2]), buf, sizeof buf) > 0) {
    }
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "jobs") == 0) {
    int fd = atoi(argv[2]);
    const char *jobs[] = {"evil\n", "alice\n", "bob\n"};
    for (int k = 0; k < 3; k++) {
      if (write(fd, jobs[k], strlen(jobs[k])) < 0) return 1;
      struct timespec ts = {0, 300000000};
      nanosleep(&ts, NULL);
    }
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "worker") == 0) {
    int fd = atoi(argv[3]);
    if (strcmp(argv[2], "evil") != 0) {
      dprintf(fd, "result for %s\n", argv[2]);
      return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int in = open(path, O_RDONLY);
    result("reopen-pipe-for-reading", in);
    fflush(stdout);
    /* Three blocked readers, ahead of the pipe's own reader in number. */
    for (int k = 0; in >= 0 && k < 3; k++)
      if (fork() == 0) {
        alarm(2);
        char buf[512];
        ssize_t n;
        while ((n = read(in, buf, sizeof buf - 1)) > 0) {
          buf[n] = 0;
          printf("stolen: %s", buf);
          fflush(stdout);
        }
        _exit(0);
      }
    while (wait(NULL) > 0) {
    }
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "results") == 0) {
    FILE *f = fdopen(atoi(argv[2]), "r");
    char line[512];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) printf("received: %s", line);
    return 0;
  }
  if (argc >= 6 && strcmp(argv[1], "log-flood") == 0) {
    int rpc = atoi(argv[2]), pipe_fd = atoi(argv[3]), n = atoi(argv[4]), closed_port = atoi(argv[5]);
    static const char refused[] = "{\"op\":\"OpenTcpSocket\",\"family\":\"Inet\",\"host\":\"127.0.0.1\",\"port\":1}";
    static const char malformed[] = "{\"op\":";
    char failing[160];
    snprintf(failing, sizeof failing, "{\"op\":\"OpenTcpSocket\",\"family\":\"Inet\",\"host\":\"127.0.0.1\",\"port\":%d}", closed_port);
    /* N refused, N malformed, LOG_FLOOD_FD_REQUESTS carrying LOG_FLOOD_FDS fds each (malformed too), and N allowed ones
     * to a port nobody listens on (failed): each answered with its error, as if nothing were limited. */
    enum { LOG_FLOOD_FD_REQUESTS = 8, LOG_FLOOD_FDS = 128 };
    int answers[3] = {0, 0, 0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < 3 * n + LOG_FLOOD_FD_REQUESTS; k++) {
      int phase = k < n ? 0 : k < 2 * n + LOG_FLOOD_FD_REQUESTS ? 1 : 2;
      const char *req = phase == 0 ? refused : phase == 1 ? malformed : failing;
      char reply[1024];
      ssize_t sent;
      if (k >= 2 * n && k < 2 * n + LOG_FLOOD_FD_REQUESTS) {
        int fds[LOG_FLOOD_FDS];
        for (int f = 0; f < LOG_FLOOD_FDS; f++) fds[f] = 1;
        sent = send_with_fds(rpc, refused, strlen(refused), fds, LOG_FLOOD_FDS, MSG_NOSIGNAL);
      } else {
        sent = send(rpc, req, strlen(req), MSG_NOSIGNAL);
      }
      if (sent < 0) break;
      ssize_t got = recv(rpc, reply, sizeof reply - 1, 0);
      if (got <= 0) break;
      reply[got] = 0;
      if (strstr(reply, phase == 0 ? "EACCES" : phase == 1 ? "EPROTO" : "ECONNREFUSED") != NULL) answers[phase]++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long rpc_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    int written = 0;
    static const char nul[] = "bad\0message\n";
    for (int k = 0; k < n; k++)
      if (write(pipe_fd, nul, sizeof nul - 1) == (ssize_t)(sizeof nul - 1)) written++;
    printf("log-flood %d %d %d %d %ld\n", answers[0], answers[1], answers[2], written, rpc_ms);
    return 0;
  }
  /* KIB KiB of "\0\n" into a Pipe trigger, 4 KiB a write: two bytes a message, each dropped (a NUL byte). */
  if (argc >= 4 && strcmp(argv[1], "nul-flood") == 0) {
    int pipe_fd = atoi(argv[2]), kib = atoi(argv[3]);
    static char chunk[4096];
    for (size_t i = 0; i < sizeof chunk; i += 2) chunk[i + 1] = '\n';
    long written = 0;
    for (int k = 0; k < kib / 4; k++) {
      ssize_t w = write(pipe_fd, chunk, sizeof chunk);
      if (w <= 0) break;
      written += w;
    }
    printf("nul-flood %ld\n", written / 2);
    return 0;
  }
  /* K packets of M fds each (copies of fd 1) on a FileSocket whose trigger drops them (more than 16 fds). */
  if (argc >= 5 && strcmp(argv[1], "fd-packets") == 0) {
    int s = atoi(argv[2]), k = atoi(argv[3]), m = atoi(argv[4]), sent = 0;
    if (m < 1 || m > 253) return 2;
    int fds[253];
    for (int f = 0; f < m; f++) fds[f] = 1;
    for (int i = 0; i < k; i++)
      if (send_with_fds(s, "x", 1, fds, m, MSG_NOSIGNAL) == 1) sent++;
    printf("fd-packets %d\n", sent);
    return 0;
  }

  /* Not in a void: turn same-page merging on, as systemd's MemoryKSM=yes does, and exec the rest (a launcher). */
  if (argc >= 3 && strcmp(argv[1], "ksm-on") == 0) {
    if (prctl(67 /* PR_SET_MEMORY_MERGE */, 1, 0, 0, 0) < 0) {
      perror("prctl PR_SET_MEMORY_MERGE");
      return 3;
    }
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    return 127;
  }
  if (argc >= 2 && strcmp(argv[1], "bystander") == 0) {
    sleep(30);
    return 0;
  }
  if (argc >= 3 && (strcmp(argv[1], "sender") == 0 || strncmp(argv[1], "sender-", 7) == 0)) {
    int fd = atoi(argv[2]), count = argv[1][6] == '-' ? atoi(argv[1] + 7) : 2000;
    for (int k = 0; k < count; k++) {
      char line[32];
      int n = snprintf(line, sizeof line, "msg-%d\n", k);
      if (write(fd, line, (size_t)n) != n) return 1;
    }
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "landlock-abi") == 0) {
    /* Outside any void: the kernel's Landlock ABI version, 0 without Landlock. */
    long abi = syscall(444 /* landlock_create_ruleset */, NULL, 0, 1 /* LANDLOCK_CREATE_RULESET_VERSION */);
    printf("%ld\n", abi < 0 ? 0 : abi);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "send-bytes") == 0) {
    int fd = atoi(argv[2]);
    for (int k = 3; k < argc; k++) {
      static unsigned char out[8192];
      size_t n = 0;
      for (const char *h = argv[k]; h[0] != 0 && h[1] != 0 && n < sizeof out; h += 2) {
        unsigned v;
        if (sscanf(h, "%2x", &v) != 1) break;
        out[n++] = (unsigned char)v;
      }
      if (write(fd, out, n) != (ssize_t)n) return 1;
    }
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "echo") == 0) {
    printf("got %s\n", argv[2]);
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "tty") == 0)
      tty();
    else if (strcmp(argv[i], "suid") == 0 && i + 1 < argc)
      suid(argv[++i]);
    else if (strcmp(argv[i], "families") == 0)
      families();
    else if (strcmp(argv[i], "reach-init") == 0)
      reach_init();
    else if (strcmp(argv[i], "ptrace") == 0)
      ptrace_requests();
    else if (strcmp(argv[i], "newest") == 0)
      newest();
    else if (strcmp(argv[i], "budgets") == 0)
      budgets();
    else if (strcmp(argv[i], "procsys") == 0) {
      result("proc-sys-core_pattern", open("/proc/sys/kernel/core_pattern", O_WRONLY));
      result("proc-sys-net", open("/proc/sys/net/ipv4/ip_forward", O_WRONLY));
      result("proc-sysrq-trigger", open("/proc/sysrq-trigger", O_WRONLY));
      result("proc-sys-read", open("/proc/sys/kernel/ostype", O_RDONLY));
      /* The shared input socket cannot be opened again through /proc. */
      result("reopen-stdin-for-writing", open("/proc/self/fd/0", O_WRONLY));
      /* The user namespace's project-id map: written once, by the launcher's child; not again. */
      int pm = open("/proc/self/projid_map", O_RDONLY);
      char line[128] = {0};
      if (pm >= 0 && read(pm, line, sizeof line - 1) > 0) {
        unsigned inner = 1, outer = 1, count = 0;
        if (sscanf(line, "%u %u %u", &inner, &outer, &count) == 3) printf("projid-map %u %u %u\n", inner, outer, count);
      }
      if (pm >= 0) close(pm);
      pm = open("/proc/self/projid_map", O_WRONLY);
      result("projid-map-write", pm < 0 ? -1 : write(pm, "7 7 1", 5));
      if (pm >= 0) close(pm);
    } else if (strcmp(argv[i], "flood-stdout") == 0 && i + 1 < argc) {
      long n = atol(argv[++i]);
      static char block[65536];
      memset(block, 'y', sizeof block);
      while (n > 0) {
        ssize_t w = write(1, block, n < (long)sizeof block ? (size_t)n : sizeof block);
        if (w <= 0) break;
        n -= w;
      }
    } else if ((strcmp(argv[i], "swap-symlink") == 0 || strcmp(argv[i], "swap-fifo") == 0) && i + 1 < argc) {
      const char *path = "/rw/granted.txt";
      int fifo = strcmp(argv[i], "swap-fifo") == 0;
      int fd = atoi(argv[++i]);
      result("unlink", unlink(path));
      result("swap", fifo ? mkfifo(path, 0644) : symlink("../outside.txt", path));
      if (write(fd, "go\n", 3) != 3) return 1;
    } else if (strcmp(argv[i], "pass-holder") == 0 && i + 3 < argc) {
      pass_holder(atoi(argv[i + 1]), atoi(argv[i + 2]));
      i += 3;
    } else if (strcmp(argv[i], "pass-taker") == 0 && i + 2 < argc) {
      pass_taker(atoi(argv[i + 2]));
      i += 2;
    } else if (strcmp(argv[i], "listener-reaim") == 0 && i + 2 < argc) {
      int listener = atoi(argv[i + 1]), port = atoi(argv[i + 2]);
      i += 2;
      int conn = accept(listener, NULL, NULL);
      result("accept", conn);
      if (conn < 0) return 1;
      reaim("accepted", conn, port);
      if (write(conn, "held\n", 5) != 5) result("write-held", -1);
      close(conn);
      /* The listener itself: shut down, it is a closed TCP socket again, which a Fast Open would connect. */
      result("listener-shutdown", shutdown(listener, SHUT_RD));
      reaim("listener", listener, port);
    } else if (strcmp(argv[i], "listener-rebind") == 0 && i + 2 < argc) {
      int listener = atoi(argv[i + 1]), port = atoi(argv[i + 2]);
      i += 2;
      result("rebind-shutdown", shutdown(listener, SHUT_RD));
      struct sockaddr_in to = loopback(port);
      result("rebind-bind", bind(listener, (struct sockaddr *)&to, sizeof to));
      result("rebind-listen", listen(listener, 8));
      struct sockaddr_in now;
      socklen_t len = sizeof now;
      if (getsockname(listener, (struct sockaddr *)&now, &len) == 0) printf("rebind-port %d\n", ntohs(now.sin_port));
      fflush(stdout);
    } else if (strcmp(argv[i], "listener-reuseport") == 0 && i + 1 < argc) {
      /* Open the granted listener's port to a later SO_REUSEPORT bind (a service of the launcher's uid), and steer the
       * group's connections to it with a one-instruction classic BPF program (return 0: the first socket, its own). */
      int listener = atoi(argv[++i]), one = 1;
      result("reuseport", setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one));
      struct sock_filter pick_first[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
      struct sock_fprog prog = {1, pick_first};
      result("reuseport-cbpf", setsockopt(listener, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog));
      int bpf_fd = -1;
      result("reuseport-ebpf", setsockopt(listener, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &bpf_fd, sizeof bpf_fd));
      int on = 0;
      socklen_t len = sizeof on;
      if (getsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &on, &len) == 0) printf("reuseport-on %d\n", on);
      fflush(stdout);
    } else if (strcmp(argv[i], "rpc-churn") == 0 && i + 3 < argc) {
      int rpc = atoi(argv[i + 1]), port = atoi(argv[i + 2]), n = atoi(argv[i + 3]), opened = 0;
      i += 3;
      char err[256];
      struct timespec t0, t1;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      for (int k = 0; k < n; k++) {
        int fd = void_rpc_open_tcp(rpc, "127.0.0.1", port, AF_INET, err, sizeof err);
        if (fd < 0) break;
        opened++;
        close(fd);
      }
      clock_gettime(CLOCK_MONOTONIC, &t1);
      printf("rpc-churned %d %lld\n", opened, (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
      fflush(stdout);
    } else if (strcmp(argv[i], "rpc-reaim") == 0 && i + 3 < argc) {
      int rpc = atoi(argv[i + 1]), port1 = atoi(argv[i + 2]), port2 = atoi(argv[i + 3]);
      i += 3;
      char err[256];
      int tcp = void_rpc_open_tcp(rpc, "127.0.0.1", port1, AF_INET, err, sizeof err);
      result("rpc-tcp", tcp);
      if (tcp >= 0) reaim("rpc-tcp", tcp, port2);
      int udp = void_rpc_open_udp(rpc, "127.0.0.1", port1, AF_INET, err, sizeof err);
      result("rpc-udp", udp);
      if (udp >= 0) {
        reaim("rpc-udp", udp, port2);
        result("rpc-udp-send", send(udp, "udp-ok", 6, 0));
        char reply[64];
        ssize_t n = recv(udp, reply, sizeof reply - 1, 0);
        result("rpc-udp-recv", n);
        if (n > 0) {
          reply[n] = 0;
          printf("rpc-udp-reply %s\n", reply);
          fflush(stdout);
        }
      }
      result("rpc-mapped", void_rpc_open_tcp(rpc, "::ffff:127.0.0.1", port2, AF_INET6, err, sizeof err));
    } else if (strcmp(argv[i], "swap-dir") == 0 && i + 1 < argc) {
      int fd = atoi(argv[++i]);
      result("rename", rename("/rw/shared", "/rw/shared.old"));
      result("swap", symlink("../outside", "/rw/shared"));
      if (write(fd, "go\n", 3) != 3) return 1;
    } else if (strcmp(argv[i], "plant-mountpoint") == 0 && i + 2 < argc) {
      int fd = atoi(argv[++i]);
      const char *target = argv[++i];
      result("plant-rename", rename("/rw/sub", "/rw/sub.old"));
      result("plant-symlink", symlink(target, "/rw/sub"));
      if (write(fd, "go\n", 3) != 3) return 1;
    } else if (strcmp(argv[i], "plant-cwd") == 0 && i + 2 < argc) {
      int fd = atoi(argv[++i]);
      const char *target = argv[++i];
      result("cwd-rename", rename("/rw/work", "/rw/work.old"));
      result("cwd-symlink", symlink(target, "/rw/work"));
      if (write(fd, "go\n", 3) != 3) return 1;
    } else if (strcmp(argv[i], "sched-state") == 0) {
      int adj = 12345;
      FILE *f = fopen("/proc/self/oom_score_adj", "r");
      if (f != NULL) {
        if (fscanf(f, "%d", &adj) != 1) adj = 12345;
        fclose(f);
      }
      errno = 0;
      int nice_value = getpriority(PRIO_PROCESS, 0);
      long ioprio = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
      struct rlimit rt, rn, core;
      getrlimit(RLIMIT_RTPRIO, &rt);
      getrlimit(RLIMIT_NICE, &rn);
      getrlimit(RLIMIT_CORE, &core);
#define LIM(v) ((v) == RLIM_INFINITY ? -1L : (long)(v))
      printf("sched oom_score_adj %d nice %d policy %d ioclass %ld rtprio %ld/%ld rlimit-nice %ld/%ld core-hard %ld\n", adj, nice_value,
             sched_getscheduler(0), ioprio < 0 ? -1L : ioprio >> 13, LIM(rt.rlim_cur), LIM(rt.rlim_max), LIM(rn.rlim_cur), LIM(rn.rlim_max),
             LIM(core.rlim_max));
#undef LIM
      fflush(stdout);
    } else if (strcmp(argv[i], "page-cache") == 0 && i + 1 < argc) {
      int fd = open(argv[++i], O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        result("open", -1);
        continue;
      }
      char buf[65536];
      while (read(fd, buf, sizeof buf) > 0) {
      }
      struct stat st;
      fstat(fd, &st);
      /* The raw call: posix_fadvise returns an error number instead of setting errno. */
      result("fadvise-dontneed", syscall(SYS_fadvise64, fd, 0L, 0L, 4 /* POSIX_FADV_DONTNEED */));
      void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
      result("madvise-cold", map == MAP_FAILED ? -1 : madvise(map, (size_t)st.st_size, 20 /* MADV_COLD */));
      result("madvise-pageout", map == MAP_FAILED ? -1 : madvise(map, (size_t)st.st_size, 21 /* MADV_PAGEOUT */));
      if (map != MAP_FAILED) munmap(map, (size_t)st.st_size);
      struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
      result("read-nowait", syscall(SYS_preadv2, fd, &iov, 1, 0L, 0L, 8 /* RWF_NOWAIT */));
      close(fd);
    } else if ((strcmp(argv[i], "resident") == 0 || strcmp(argv[i], "evict") == 0) && i + 1 < argc) {
      bool evict = strcmp(argv[i], "evict") == 0;
      int fd = open(argv[++i], O_RDONLY | O_CLOEXEC);
      struct stat st;
      if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
        result("open", -1);
        continue;
      }
      if (evict) result("evict", syscall(SYS_fadvise64, fd, 0L, 0L, 4 /* POSIX_FADV_DONTNEED */));
      long page = sysconf(_SC_PAGESIZE);
      size_t pages = (size_t)((st.st_size + page - 1) / page);
      void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
      unsigned char *vec = malloc(pages);
      if (map == MAP_FAILED || vec == NULL || mincore(map, (size_t)st.st_size, vec) < 0) {
        result("mincore", -1);
      } else {
        size_t in = 0;
        for (size_t k = 0; k < pages; k++) in += vec[k] & 1;
        printf("resident %zu/%zu\n", in, pages);
        fflush(stdout);
      }
      free(vec);
      if (map != MAP_FAILED) munmap(map, (size_t)st.st_size);
      close(fd);
    } else if (strcmp(argv[i], "exec-writable") == 0 && i + 1 < argc) {
      char path[4096];
      snprintf(path, sizeof path, "%s/planted", argv[++i]);
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
      if (fd >= 0) {
        if (write(fd, "#!/bin/sh\necho planted\n", 23) != 23) return 1;
        close(fd);
      }
      char *args[] = {path, NULL};
      char *none[] = {NULL};
      result("exec-writable", execve(path, args, none));
    } else if (strncmp(argv[i], "socket-ns", 9) == 0 && i + 1 < argc) {
      int fd = atoi(argv[++i]);
      struct ifreq reqs[16];
      struct ifconf ifc = {.ifc_len = sizeof reqs, .ifc_req = reqs};
      if (ioctl(fd, SIOCGIFCONF, &ifc) < 0) {
        result("interfaces", -1);
      } else {
        printf("interfaces");
        int n = ifc.ifc_len / (int)sizeof reqs[0];
        for (int k = 0; k < n; k++) printf("%s%s", k == 0 ? " " : ",", reqs[k].ifr_name);
        printf("%s\n", n == 0 ? " none" : "");
        fflush(stdout);
      }
      struct sockaddr_un name = {.sun_family = AF_UNIX};
      memcpy(name.sun_path + 1, "void-hostile-socket-ns", 22);
      result("bind-abstract", bind(fd, (struct sockaddr *)&name, offsetof(struct sockaddr_un, sun_path) + 23));
    } else if (strcmp(argv[i], "host-budgets") == 0) {
      unsigned long ctx = 0;
      long rc = syscall(SYS_io_setup, 65536, &ctx);
      result("io-setup", rc);
      if (rc == 0) syscall(SYS_io_destroy, ctx);
      int shm = shmget(IPC_PRIVATE, 1 << 20, IPC_CREAT | 0600);
      result("shm-lock", shm < 0 ? shm : shmctl(shm, SHM_LOCK, NULL));
      if (shm >= 0) shmctl(shm, IPC_RMID, NULL);
      int one = 1, tcp = socket(AF_INET, SOCK_STREAM, 0), local = socket(AF_UNIX, SOCK_STREAM, 0);
      result("zerocopy", setsockopt(tcp, SOL_SOCKET, 60 /* SO_ZEROCOPY */, &one, sizeof one));
      result("passpidfd", setsockopt(local, SOL_SOCKET, 76 /* SO_PASSPIDFD */, &one, sizeof one));
      /* Socket ioctls the kernel answers by loading a module, for any caller ("module-ioctls"). */
      char vlan[64] = {0};
      unsigned long br[3] = {1 /* BRCTL_GET_BRIDGES */, 0, 0};
      result("module-ioctl-vlan", ioctl(local, 0x8982 /* SIOCGIFVLAN */, vlan));
      result("module-ioctl-bridge", ioctl(local, 0x8940 /* SIOCGIFBR */, br));
      /* Whether same-page merging is on for this process (the launcher's may have been). */
      printf("ksm-merging %d\n", prctl(68 /* PR_GET_MEMORY_MERGE */, 0, 0, 0, 0));
      close(tcp);
      close(local);
      /* Huge pages: the host's reserved pool, charged to no memory limit ("huge-pages"). */
      void *huge = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
      result("hugetlb-mmap", huge == MAP_FAILED ? -1 : 0);
      if (huge != MAP_FAILED) munmap(huge, 2 << 20);
      int hfd = (int)syscall(SYS_memfd_create, "huge", 4 /* MFD_HUGETLB */);
      result("hugetlb-memfd", hfd);
      if (hfd >= 0) close(hfd);
      int hshm = shmget(IPC_PRIVATE, 2 << 20, IPC_CREAT | SHM_HUGETLB | 0600);
      result("hugetlb-shm", hshm);
      if (hshm >= 0) shmctl(hshm, IPC_RMID, NULL);
      /* Kernel same-page merging, whose timing tells what other processes hold ("memory-merge"). */
      result("ksm-prctl", syscall(SYS_prctl, 67 /* PR_SET_MEMORY_MERGE */, 1L, 0L, 0L, 0L));
      void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      result("ksm-madvise", page == MAP_FAILED ? -1 : madvise(page, 4096, 12 /* MADV_MERGEABLE */));
      if (page != MAP_FAILED) munmap(page, 4096);
      /* IP protocols but TCP, UDP and ping (a module the kernel would load for them; UDP-Lite and MPTCP are built in
       * here, so only the filter refuses them). */
      static const int protos[][3] = {
          {AF_INET, SOCK_DGRAM, 136}, {AF_INET6, SOCK_DGRAM, 136}, {AF_INET, SOCK_STREAM, 262}, {AF_INET, SOCK_STREAM, 132}};
      static const char *const proto_names[] = {"sock-udplite", "sock-udplite6", "sock-mptcp", "sock-sctp"};
      for (int k = 0; k < 4; k++) {
        int ps = socket(protos[k][0], protos[k][1], protos[k][2]);
        result(proto_names[k], ps);
        if (ps >= 0) close(ps);
      }
      /* A child its parent's tracer would never see (CLONE_UNTRACED: no event, no attach). */
      long untraced = syscall(SYS_clone, 0x00800000L /* CLONE_UNTRACED */ | SIGCHLD, 0L, 0L, 0L, 0L);
      if (untraced == 0) _exit(0);
      if (untraced > 0) waitpid((pid_t)untraced, NULL, 0);
      result("clone-untraced", untraced);
      int tcp4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
      result("sock-tcp", tcp4);
      if (tcp4 >= 0) close(tcp4);
    } else if (strcmp(argv[i], "stdin-back") == 0) {
      signal(SIGPIPE, SIG_IGN);
      int mem = (int)syscall(SYS_memfd_create, "pin", 0);
      char byte = 'x';
      struct iovec iov = {&byte, 1};
      union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
      } control;
      memset(&control, 0, sizeof control);
      struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
      struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(cm), &mem, sizeof mem);
      result("stdin-send-fd", sendmsg(0, &msg, MSG_DONTWAIT));
      result("stdin-write", write(0, "y", 1));
    } else if (strcmp(argv[i], "own-inode") == 0 && i + 2 < argc) {
      int fd = atoi(argv[i + 1]);
      const char *path = argv[i + 2];
      i += 2;
      const struct timespec epoch[2] = {{0, 0}, {0, 0}};
      result("unshare-userns", unshare(CLONE_NEWUSER | CLONE_NEWNS));
      struct {
        uint64_t attr_set, attr_clr, propagation, userns_fd;
      } clear = {0, 1 /* MOUNT_ATTR_RDONLY */, 0, 0};
      result("clear-read-only", syscall(442 /* mount_setattr */, fd, "", 0x1000 /* AT_EMPTY_PATH */, &clear, sizeof clear));
      result("fchmod-fd", fchmod(fd, 0606));
      result("futimens-fd", futimens(fd, epoch));
      result("setxattr-fd", fsetxattr(fd, "user.void", "x", 1, 0));
      char self[64];
      snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
      int w = open(self, O_WRONLY | O_TRUNC);
      result("reopen-write-fd", w);
      if (w >= 0) result("reopen-write-fd-write", write(w, "OWNED\n", 6));
      result("chmod-path", chmod(path, 0600));
      result("utime-path", utimensat(AT_FDCWD, path, epoch, 0));
    } else if (strcmp(argv[i], "nested") == 0) {
      printf("nested ran\n");
    } else if (strcmp(argv[i], "cat-data") == 0) {
      int fd = open("/data/file.txt", O_RDONLY);
      result("open-data", fd);
      char buf[4096];
      ssize_t n;
      while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
        if (write(1, buf, (size_t)n) != n) return 1;
    } else if (strcmp(argv[i], "udp-quota") == 0 && i + 2 < argc) {
      int rpc = atoi(argv[i + 1]), port = atoi(argv[i + 2]), opened = 0;
      i += 2;
      char err[256];
      for (int k = 0; k < 20; k++) {
        int u = void_rpc_open_udp(rpc, "127.0.0.1", port, AF_INET, err, sizeof err);
        if (u < 0) {
          result("udp-quota", -1);
          break;
        }
        opened++;
      }
      printf("udp-opened %d\n", opened);
      fflush(stdout);
    } else if ((strcmp(argv[i], "tcp-ask") == 0 || strcmp(argv[i], "udp-ask") == 0) && i + 2 < argc) {
      ask(argv[i][0] == 't', atoi(argv[i + 1]), argv[i + 2]);
      i += 2;
    } else if (strcmp(argv[i], "egress") == 0 && i + 1 < argc) {
      egress(atoi(argv[++i]));
    } else if (strcmp(argv[i], "move-across") == 0) {
      /* Each absolute DIR that follows; the next word not one is the next attack. */
      for (; i + 1 < argc && argv[i + 1][0] == '/'; i++) {
        char a[4096], b[4096], f[4096], l[4096], g[4096], name[4096 + 32];
        const char *dir = argv[i + 1];
        snprintf(a, sizeof a, "%s/a", dir);
        snprintf(b, sizeof b, "%s/b", dir);
        snprintf(f, sizeof f, "%s/a/f", dir);
        snprintf(l, sizeof l, "%s/b/l", dir);
        snprintf(g, sizeof g, "%s/b/f", dir);
        mkdir(a, 0755);
        mkdir(b, 0755);
        int fd = open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd >= 0) close(fd);
        snprintf(name, sizeof name, "move-across-link:%s", dir);
        result(name, link(f, l));
        snprintf(name, sizeof name, "move-across-rename:%s", dir);
        result(name, rename(f, g));
      }
    } else if (strcmp(argv[i], "write-open") == 0) {
      for (i++; i < argc; i++) {
        char name[4096 + 16];
        snprintf(name, sizeof name, "write-open:%s", argv[i]);
        int fd = open(argv[i], O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        long rc = fd < 0 ? -1 : write(fd, "x", 1);
        result(name, rc);
        if (fd >= 0) close(fd);
      }
    } else if (strcmp(argv[i], "churn") == 0 && i + 3 < argc) {
      churn(strcmp(argv[i + 1], "tcp") == 0, atoi(argv[i + 2]), atoi(argv[i + 3]));
      i += 3;
    } else if (strcmp(argv[i], "tcp-hold") == 0 && i + 2 < argc) {
      tcp_hold(atoi(argv[i + 1]), atoi(argv[i + 2]));
      i += 2;
    } else if (strcmp(argv[i], "cat-fd") == 0 && i + 1 < argc) {
      int fd = atoi(argv[++i]);
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0)
        if (write(1, buf, (size_t)n) != n) return 1;
    } else {
      fprintf(stderr, "hostile: unknown attack %s\n", argv[i]);
      return 2;
    }
  }
  return 0;
}
