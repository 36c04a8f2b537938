/*
 * forktop-tracer: what a process looks like, read from the host's
 * /proc/PID (docs/forktop-protocol.md, "The snapshot").
 *
 * The tracer reads these files while the process sits in a ptrace-stop, so
 * a process that lives for a microsecond is described as well as a long
 * one. Whatever cannot be read (the process is gone, EACCES, a kernel
 * without the file) is null: a snapshot never guesses.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tracer.h"

#define MAX_FDS_LISTED 64
#define MAX_THREADS_COMPARED 1024 /* threads whose privileges a snapshot compares with the leader's */
#define CMDLINE_SHOWN 16384       /* bytes of /proc/PID/cmdline a snapshot carries */
#define MAX_FDS_SCANNED 4096      /* for directories, past MAX_FDS_LISTED */

char *read_small_file(const char *path, size_t *len_out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, len = 0;
  char *data = malloc(cap);
  if (!data) {
    close(fd);
    errno = ENOMEM;
    return NULL;
  }
  for (;;) {
    if (len + 1 >= cap) {
      char *p = realloc(data, cap * 2);
      if (!p) break;
      data = p;
      cap *= 2;
    }
    ssize_t n = read(fd, data + len, cap - len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      free(data);
      close(fd);
      errno = err;
      return NULL;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  data[len] = 0;
  if (len_out) *len_out = len;
  return data;
}

/* The value of "Key:" in a status file, as a pointer into it (up to the
 * newline), or NULL. */
static const char *status_field(const char *status, const char *key) {
  size_t klen = strlen(key);
  for (const char *line = status; line && *line;) {
    if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
      const char *v = line + klen + 1;
      while (*v == ' ' || *v == '\t') v++;
      return v;
    }
    line = strchr(line, '\n');
    if (line) line++;
  }
  return NULL;
}

/* Appends the whitespace-separated integers of a status field as a JSON
 * array, or null when the field is absent. */
static void json_int_list(struct buf *b, const char *status, const char *key) {
  const char *v = status ? status_field(status, key) : NULL;
  if (!v) {
    buf_str(b, "null");
    return;
  }
  buf_str(b, "[");
  bool first = true;
  while (*v && *v != '\n') {
    char *end;
    long long x = strtoll(v, &end, 10);
    if (end == v) break;
    buf_printf(b, "%s%lld", first ? "" : ",", x);
    first = false;
    v = end;
    while (*v == ' ' || *v == '\t') v++;
  }
  buf_str(b, "]");
}

static void json_int_field(struct buf *b, const char *status, const char *key) {
  const char *v = status ? status_field(status, key) : NULL;
  char *end;
  long long x = v ? strtoll(v, &end, 10) : 0;
  if (!v || end == v)
    buf_str(b, "null");
  else
    buf_printf(b, "%lld", x);
}

static void json_hex_field(struct buf *b, const char *status, const char *key) {
  const char *v = status ? status_field(status, key) : NULL;
  if (!v) {
    buf_str(b, "null");
    return;
  }
  size_t n = 0;
  while (isxdigit((unsigned char)v[n])) n++;
  if (n == 0)
    buf_str(b, "null");
  else
    json_strn(b, v, n);
}

/* readlink into a malloc'd string, or NULL. */
static char *read_link(const char *path) {
  char tmp[PATH_MAX + 1];
  ssize_t n = readlink(path, tmp, sizeof tmp - 1);
  if (n < 0) return NULL;
  tmp[n] = 0;
  return strdup(tmp);
}

/* uid_map / gid_map as [[inside, outside, count], ...]. */
static void json_id_map(struct buf *b, pid_t pid, const char *name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
  char *map = read_small_file(path, NULL);
  if (!map) {
    buf_str(b, "null");
    return;
  }
  buf_str(b, "[");
  bool first = true;
  for (char *line = map; *line;) {
    long long in, out, count;
    if (sscanf(line, "%lld %lld %lld", &in, &out, &count) == 3) {
      buf_printf(b, "%s[%lld,%lld,%lld]", first ? "" : ",", in, out, count);
      first = false;
    }
    char *nl = strchr(line, '\n');
    if (!nl) break;
    line = nl + 1;
  }
  buf_str(b, "]");
  free(map);
}

/* The namespaces' inode numbers from readlink /proc/PID/ns/X ("net:[4026531840]"). */
static void json_namespaces(struct buf *b, pid_t pid) {
  static const char *const names[] = {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"};
  buf_str(b, "{");
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, names[i]);
    char *link = read_link(path);
    const char *open = link ? strchr(link, '[') : NULL;
    buf_printf(b, "%s\"%s\":", i ? "," : "", names[i]);
    if (open)
      buf_printf(b, "%llu", strtoull(open + 1, NULL, 10));
    else
      buf_str(b, "null");
    free(link);
  }
  buf_str(b, "}");
}

/* The type of an fd from its link target and what stat says about it. */
static const char *fd_type(const char *target, const struct stat *st, bool have_stat) {
  if (strncmp(target, "socket:", 7) == 0) return "socket";
  if (strncmp(target, "pipe:", 5) == 0) return "pipe";
  if (strncmp(target, "anon_inode:", 11) == 0) return "anon";
  if (strncmp(target, "/memfd:", 7) == 0) return "memfd";
  if (!have_stat) return "other";
  if (S_ISDIR(st->st_mode)) return "dir";
  if (S_ISREG(st->st_mode)) return "file";
  if (S_ISFIFO(st->st_mode)) return "pipe";
  if (S_ISSOCK(st->st_mode)) return "socket";
  if (S_ISCHR(st->st_mode)) {
    unsigned maj = major(st->st_rdev), min = minor(st->st_rdev);
    /* 4: virtual consoles and serial ports; 5/0 /dev/tty, 5/1 the console;
     * 136-143: pty slaves (Documentation/admin-guide/devices.txt). */
    if (maj == 4 || (maj == 5 && min <= 1) || (maj >= 136 && maj <= 143)) return "tty";
    return "dev";
  }
  if (S_ISBLK(st->st_mode)) return "dev";
  return "other";
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* ,"FILE": the text of /proc/PID/FILE without its trailing newlines, or
 * null when it cannot be read. */
static void json_proc_text(struct buf *b, pid_t pid, const char *file) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
  size_t len;
  char *text = read_small_file(path, &len);
  buf_printf(b, ",\"%s\":", file);
  if (!text) {
    buf_str(b, "null");
    return;
  }
  while (len && text[len - 1] == '\n') len--;
  json_strn(b, text, len);
  free(text);
}

/* The numeric entries of a /proc directory (fd/, task/), unsorted, in a
 * malloc'd array of *n_out; NULL when the directory cannot be read (the
 * process is gone, EACCES) or memory ran out. */
static int *list_numeric_dir(const char *path, size_t *n_out) {
  *n_out = 0;
  DIR *d = opendir(path);
  if (!d) return NULL;
  size_t n = 0, cap = 64;
  int *list = malloc(cap * sizeof *list);
  struct dirent *e;
  while (list && (e = readdir(d))) {
    if (!isdigit((unsigned char)e->d_name[0])) continue;
    if (n == cap) {
      int *p = realloc(list, cap * 2 * sizeof *list);
      if (!p) break;
      list = p;
      cap *= 2;
    }
    list[n++] = atoi(e->d_name);
  }
  closedir(d);
  *n_out = list ? n : 0;
  return list;
}

/* "fds": [...] and, past 64, "fds_total". Past the 64th, directories are
 * still listed (up to the 4096th fd): a directory fd outside a process's
 * root is its way out of it, and fd 200 is as good as fd 3 for that
 * (outside attack 52). */
static void json_fds(struct buf *b, pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd", pid);
  size_t n;
  int *fds = list_numeric_dir(path, &n);
  if (!fds) {
    buf_str(b, ",\"fds\":null");
    return;
  }
  qsort(fds, n, sizeof *fds, cmp_int);
  buf_str(b, ",\"fds\":[");
  size_t listed = 0;
  for (size_t i = 0; i < n && i < MAX_FDS_SCANNED; i++) {
    char fdpath[80];
    snprintf(fdpath, sizeof fdpath, "/proc/%d/fd/%d", pid, fds[i]);
    struct stat st;
    bool have_stat = stat(fdpath, &st) == 0;
    if (listed >= MAX_FDS_LISTED && !(have_stat && S_ISDIR(st.st_mode))) continue;
    char *target = read_link(fdpath);
    if (!target) continue; /* closed since the listing */
    buf_printf(b, "%s{\"fd\":%d,\"type\":\"%s\",\"target\":", listed ? "," : "", fds[i], fd_type(target, &st, have_stat));
    json_str(b, target);
    buf_str(b, "}");
    free(target);
    listed++;
  }
  buf_str(b, "]");
  if (n > MAX_FDS_LISTED) buf_printf(b, ",\"fds_total\":%zu", n);
  free(fds);
}

/* Whether two status texts give `key` the same value (up to the newline). */
static bool same_field(const char *a, const char *b, const char *key) {
  const char *va = status_field(a, key), *vb = status_field(b, key);
  if (!va || !vb) return va == vb;
  size_t la = strcspn(va, "\n"), lb = strcspn(vb, "\n");
  return la == lb && memcmp(va, vb, la) == 0;
}

/* ",\"threads_differ\":[TID...]" for the threads whose credentials,
 * capabilities, no_new_privs or seccomp differ from the leader's (whose
 * /proc/PID/status the snapshot shows), up to MAX_THREADS_COMPARED
 * threads; nothing when none does. The kernel keeps these per thread: a
 * thread that changes its own (raw setresuid, capset, a filter without
 * TSYNC) keeps what the leader dropped, or holds what it never had
 * (outside attack 52). */
static void json_threads_differ(struct buf *b, pid_t pid, const char *leader) {
  static const char *const keys[] = {"Uid",    "Gid",    "Groups",     "CapInh",  "CapPrm",         "CapEff",
                                     "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters"};
  if (!leader) return;
  size_t n;
  pid_t *tids = proc_tasks(pid, &n);
  if (!tids) return;
  size_t listed = 0;
  for (size_t i = 0; i < n && i < MAX_THREADS_COMPARED; i++) {
    if (tids[i] == pid) continue;
    char path[80];
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", pid, tids[i]);
    char *status = read_small_file(path, NULL);
    if (!status) continue; /* gone since the listing */
    bool same = true;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0] && same; k++) same = same_field(leader, status, keys[k]);
    free(status);
    if (same) continue;
    buf_printf(b, "%s%d", listed ? "," : ",\"threads_differ\":[", tids[i]);
    listed++;
  }
  if (listed) buf_str(b, "]");
  free(tids);
}

void snapshot_json(struct buf *b, pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  char *status = read_small_file(path, NULL);

  /* "state" comes right after the numeric fields: snapshot_differs finds
   * it before any free-form string. */
  buf_str(b, "{\"nspid\":");
  json_int_list(b, status, "NSpid");
  buf_str(b, ",\"tgid\":");
  json_int_field(b, status, "Tgid");
  buf_str(b, ",\"ppid\":");
  json_int_field(b, status, "PPid");
  buf_str(b, ",\"state\":");
  const char *state = status ? status_field(status, "State") : NULL;
  if (state && *state && *state != '\n')
    json_strn(b, state, 1);
  else
    buf_str(b, "null");

  json_proc_text(b, pid, "comm");
  size_t len;

  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  char *cmdline = read_small_file(path, &len);
  buf_str(b, ",\"cmdline\":");
  /* Only the first CMDLINE_SHOWN bytes: a process re-executing itself
   * with 2 MB of argv of 0xff bytes made every snapshot ~12 MB of JSON,
   * remade at every rescan, and held up every other tracee's events
   * (outside attack 52). The rest is counted (cmdline_truncated). */
  size_t cut = 0;
  if (cmdline && len > CMDLINE_SHOWN) {
    cut = len - CMDLINE_SHOWN;
    len = CMDLINE_SHOWN;
  }
  if (cmdline) {
    buf_str(b, "[");
    size_t i = 0;
    bool first = true;
    while (i < len) {
      size_t arg = strnlen(cmdline + i, len - i);
      if (!first) buf_str(b, ",");
      json_strn(b, cmdline + i, arg);
      first = false;
      i += arg + 1;
    }
    buf_str(b, "]");
    free(cmdline);
    if (cut > 0) buf_printf(b, ",\"cmdline_truncated\":%zu", cut);
  } else {
    buf_str(b, "null");
  }

  static const char *const links[] = {"exe", "root", "cwd"};
  char *link_values[3];
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "/proc/%d/%s", pid, links[i]);
    link_values[i] = read_link(path);
  }
  buf_str(b, ",\"exe\":");
  json_str_or_null(b, link_values[0]);

  buf_str(b, ",\"uid\":");
  json_int_list(b, status, "Uid");
  buf_str(b, ",\"gid\":");
  json_int_list(b, status, "Gid");
  buf_str(b, ",\"uid_map\":");
  json_id_map(b, pid, "uid_map");
  buf_str(b, ",\"gid_map\":");
  json_id_map(b, pid, "gid_map");
  buf_str(b, ",\"ns\":");
  json_namespaces(b, pid);

  buf_str(b, ",\"caps\":");
  if (status) {
    static const char *const sets[][2] = {{"inh", "CapInh"}, {"prm", "CapPrm"}, {"eff", "CapEff"}, {"bnd", "CapBnd"}, {"amb", "CapAmb"}};
    buf_str(b, "{");
    for (int i = 0; i < 5; i++) {
      buf_printf(b, "%s\"%s\":", i ? "," : "", sets[i][0]);
      json_hex_field(b, status, sets[i][1]);
    }
    buf_str(b, "}");
  } else {
    buf_str(b, "null");
  }
  buf_str(b, ",\"no_new_privs\":");
  const char *nnp = status ? status_field(status, "NoNewPrivs") : NULL;
  buf_str(b, nnp ? (*nnp == '1' ? "true" : "false") : "null");
  buf_str(b, ",\"seccomp\":");
  json_int_field(b, status, "Seccomp");
  buf_str(b, ",\"seccomp_filters\":");
  json_int_field(b, status, "Seccomp_filters");

  json_threads_differ(b, pid, status);

  buf_str(b, ",\"root\":");
  json_str_or_null(b, link_values[1]);
  buf_str(b, ",\"cwd\":");
  json_str_or_null(b, link_values[2]);
  for (int i = 0; i < 3; i++) free(link_values[i]);

  json_proc_text(b, pid, "cgroup");

  snprintf(path, sizeof path, "/proc/%d/mountinfo", pid);
  char *mountinfo = read_small_file(path, &len);
  buf_str(b, ",\"mounts\":");
  if (mountinfo) {
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += mountinfo[i] == '\n';
    buf_printf(b, "%zu", lines);
    free(mountinfo);
  } else {
    buf_str(b, "null");
  }

  json_fds(b, pid);
  buf_str(b, "}");
  free(status);
}

/* The value of "state" in a snapshot (see snapshot_json), or NULL. */
static const char *state_value(const char *s) {
  const char *p = strstr(s, ",\"state\":");
  return p ? p + 9 : NULL;
}

/* 's' (stopped: t or T), 'r' (running, sleeping or in disk wait), or the
 * letter itself (Z, X, null's 'n'), for the value at v ("\"S\"" or null). */
static char state_class(const char *v) {
  if (v[0] != '"') return 'n';
  switch (v[1]) {
    case 't':
    case 'T':
      return 's';
    case 'R':
    case 'S':
    case 'D':
    case 'I':
      return 'r';
    default:
      return v[1];
  }
}

bool snapshot_differs(const char *a, const char *b) {
  if (!a || !b) return a != b;
  const char *sa = state_value(a), *sb = state_value(b);
  if (!sa || !sb || sa - a != sb - b) return strcmp(a, b) != 0;
  if (strncmp(a, b, (size_t)(sa - a)) != 0) return true;
  /* R, S and D alternate all the time and are not news; a stop is (t, T):
   * every snapshot taken at a ptrace stop says "t", and the first rescan of
   * that process then reports what it really is doing. */
  if (state_class(sa) != state_class(sb)) return true;
  /* Skip the value: a one-letter string or null. */
  const char *ea = strchr(sa, ','), *eb = strchr(sb, ',');
  if (!ea || !eb) return strcmp(a, b) != 0;
  return strcmp(ea, eb) != 0;
}

int proc_status_ids(pid_t pid, pid_t *tgid, pid_t *ppid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  char *status = read_small_file(path, NULL);
  if (!status) return -1;
  const char *t = status_field(status, "Tgid"), *p = status_field(status, "PPid");
  if (tgid) *tgid = t ? (pid_t)atoi(t) : -1;
  if (ppid) *ppid = p ? (pid_t)atoi(p) : -1;
  free(status);
  return t && p ? 0 : -1;
}

pid_t proc_inner_pid(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  char *status = read_small_file(path, NULL);
  if (!status) return -1;
  const char *v = status_field(status, "NSpid");
  pid_t inner = -1;
  while (v && *v && *v != '\n') {
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v) break;
    inner = (pid_t)x;
    v = end;
    while (*v == ' ' || *v == '\t') v++;
  }
  free(status);
  return inner;
}

char proc_state(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  char *status = read_small_file(path, NULL);
  if (!status) return 0;
  const char *v = status_field(status, "State");
  char c = v ? *v : 0;
  free(status);
  return c;
}

size_t proc_list(struct proc_entry **out) {
  *out = NULL;
  DIR *d = opendir("/proc");
  if (!d) return 0;
  size_t n = 0, cap = 256;
  struct proc_entry *list = malloc(cap * sizeof *list);
  struct dirent *e;
  while (list && (e = readdir(d))) {
    if (!isdigit((unsigned char)e->d_name[0])) continue;
    char path[300];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    char *stat = read_small_file(path, NULL);
    if (!stat) continue;
    /* "pid (comm) S ppid ...": comm may contain spaces and parentheses. */
    char *close = strrchr(stat, ')');
    int ppid;
    char st;
    if (close && sscanf(close + 1, " %c %d", &st, &ppid) == 2) {
      if (n == cap) {
        struct proc_entry *p = realloc(list, cap * 2 * sizeof *list);
        if (!p) {
          free(stat);
          break;
        }
        list = p;
        cap *= 2;
      }
      list[n].pid = (pid_t)atoi(e->d_name);
      list[n].ppid = (pid_t)ppid;
      n++;
    }
    free(stat);
  }
  closedir(d);
  *out = list;
  return list ? n : 0;
}

pid_t *proc_tasks(pid_t pid, size_t *n_out) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  _Static_assert(sizeof(pid_t) == sizeof(int), "tids are read as ints");
  return (pid_t *)list_numeric_dir(path, n_out);
}
