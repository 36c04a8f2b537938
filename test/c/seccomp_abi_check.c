/*
 * seccomp_abi_check — compiles, or fails to, for the architecture it is
 * compiled for: every kernel value native/seccomp_filter.h's argument
 * rules compare against (written there as VF_* numbers, and in the rules'
 * code) is that architecture's, as its own headers define it. Nothing to
 * run: test/unit/seccomp-filter.test.ts compiles it with gcc and with
 * aarch64-linux-gnu-gcc. seccomp_filter.h itself checks its system call
 * numbers against the target's <sys/syscall.h> the same way.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/prctl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>

#include "seccomp_filter.h"

#define SAME(a, b) _Static_assert((a) == (b), #a " is not " #b " on this architecture")
SAME(VF_TIOCSTI, TIOCSTI);
SAME(VF_TIOCLINUX, TIOCLINUX);
SAME(VF_O_CREAT, O_CREAT);
SAME(VF_O_TMPFILE, O_TMPFILE & ~O_DIRECTORY);
SAME(VF_SUID_SGID, S_ISUID | S_ISGID);
SAME(VF_AF_UNIX, AF_UNIX);
SAME(VF_AF_INET, AF_INET);
SAME(VF_AF_INET6, AF_INET6);
SAME(VF_AF_NETLINK, AF_NETLINK);
SAME(VF_NETLINK_ROUTE, NETLINK_ROUTE);
SAME(VF_SOCK_PACKET, SOCK_PACKET);
SAME(VF_SOCK_STREAM, SOCK_STREAM);
SAME(VF_SOCK_DGRAM, SOCK_DGRAM);
SAME(VF_SOCK_RAW, SOCK_RAW);
SAME(VF_SOCK_SEQPACKET, SOCK_SEQPACKET);
SAME(VF_IPPROTO_ICMP, IPPROTO_ICMP);
SAME(VF_IPPROTO_TCP, IPPROTO_TCP);
SAME(VF_IPPROTO_UDP, IPPROTO_UDP);
SAME(VF_IPPROTO_ICMPV6, IPPROTO_ICMPV6);
SAME(VF_MADV_MERGEABLE, MADV_MERGEABLE);
SAME(VF_POSIX_FADV_DONTNEED, POSIX_FADV_DONTNEED);
#ifdef MADV_PAGEOUT
SAME(VF_MADV_COLD, MADV_COLD);
SAME(VF_MADV_PAGEOUT, MADV_PAGEOUT);
#endif
#ifdef RWF_NOWAIT
SAME(VF_RWF_NOWAIT, RWF_NOWAIT);
#endif
/* The module-loading socket ioctls the module-ioctls rule names. */
SAME(0x8940u, SIOCGIFBR);
SAME(0x8941u, SIOCSIFBR);
SAME(0x8980u, SIOCADDDLCI);
SAME(0x8981u, SIOCDELDLCI);
SAME(0x8982u, SIOCGIFVLAN);
SAME(0x8983u, SIOCSIFVLAN);
SAME(0x89a0u, SIOCBRADDBR);
SAME(0x89a1u, SIOCBRDELBR);
SAME(0x89a2u, SIOCBRADDIF);
SAME(0x89a3u, SIOCBRDELIF);
#ifdef PR_SET_MEMORY_MERGE
SAME(VF_PR_SET_MEMORY_MERGE, PR_SET_MEMORY_MERGE);
#endif
SAME(VF_SOCK_NONBLOCK, SOCK_NONBLOCK);
SAME(VF_SOCK_CLOEXEC, SOCK_CLOEXEC);
SAME(VF_F_SETLEASE, F_SETLEASE);
SAME(VF_PTRACE_TRACEME, PTRACE_TRACEME);
SAME(VF_PTRACE_DETACH, PTRACE_DETACH);
SAME(VF_SHM_LOCK, SHM_LOCK);
SAME(VF_SOL_SOCKET, SOL_SOCKET);
SAME(VF_SO_ZEROCOPY, SO_ZEROCOPY);
SAME(VF_SO_REUSEPORT, SO_REUSEPORT);
SAME(VF_SO_ATTACH_REUSEPORT_CBPF, SO_ATTACH_REUSEPORT_CBPF);
SAME(VF_SO_ATTACH_REUSEPORT_EBPF, SO_ATTACH_REUSEPORT_EBPF);
SAME(VF_MAP_HUGETLB, MAP_HUGETLB);
SAME(VF_MFD_HUGETLB, MFD_HUGETLB);
SAME(VF_SHM_HUGETLB, SHM_HUGETLB);
#ifdef SO_PASSPIDFD
SAME(VF_SO_PASSPIDFD, SO_PASSPIDFD);
#endif
/* The personality values the rule admits: PER_LINUX, PER_LINUX32, UNAME26, UNAME26 | PER_LINUX32. */
SAME(0x0u, PER_LINUX);
SAME(0x8u, PER_LINUX32);
SAME(0x20000u, UNAME26);
/* The filter compares the low 32 bits of an argument as the kernel reads it
 * from seccomp_data: a little-endian u64 per argument on both targets. */
SAME(offsetof(struct seccomp_data, args[1]), 24);
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the filter loads the low half of an argument at its first 4 bytes");
