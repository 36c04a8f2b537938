/*
 * forktop-tracer: shared declarations.
 *
 * The tracer is one single-threaded process (docs/forktop-protocol.md):
 *   tracer.c    options, the event loop, the ptrace state machine, attach,
 *               detach, poll mode and --once;
 *   snapshot.c  what a process looks like, read from the host's /proc/PID;
 *   inject.c    the shell hotkey: syscall injection and the pty relay;
 *   json.c      a growable buffer and JSON string escaping.
 */
#ifndef FORKTOP_TRACER_H
#define FORKTOP_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The protocol version the tracer says in `hello` (docs/forktop-protocol.md).
 * The UI refuses a tracer of another version. The same number as
 * PROTOCOL_VERSION in src/protocol.ts: test/unit/protocol.test.ts fails when
 * the two differ. */
#define FORKTOP_PROTOCOL_VERSION 1

/* ---- json.c ---- */

/* A growable byte buffer; aborts the tracer when memory runs out (there is
 * nothing sensible to do with half an event). */
struct buf {
  char *data;
  size_t len, cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_str(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s[0..n) as a JSON string: quotes, \" \\ \n..., control bytes as
 * \u00XX, valid UTF-8 as is, and every byte of an invalid UTF-8 sequence as
 * \u00XX (its Latin-1 reading), so any byte string gives valid JSON. */
void json_strn(struct buf *b, const char *s, size_t n);
void json_str(struct buf *b, const char *s);
/* json_str, or null for NULL. */
void json_str_or_null(struct buf *b, const char *s);

/* ---- snapshot.c ---- */

/* Reads a whole small file (e.g. /proc/PID/status) into a NUL-terminated
 * malloc'd buffer; NULL with errno set on failure. */
char *read_small_file(const char *path, size_t *len_out);
/* Appends the snapshot object of PID (docs/forktop-protocol.md) to b. */
void snapshot_json(struct buf *b, pid_t pid);
/* True if two snapshots differ in more than their "state". */
bool snapshot_differs(const char *a, const char *b);
/* PPid and Tgid from /proc/PID/status; -1 when unreadable. */
int proc_status_ids(pid_t pid, pid_t *tgid, pid_t *ppid);
/* The innermost NSpid of PID (1 for a PID namespace's init), or -1. */
pid_t proc_inner_pid(pid_t pid);
/* The "State:" letter of PID, or 0. */
char proc_state(pid_t pid);
/* Every process on the host: pid and parent, from /proc/PID/stat. */
struct proc_entry {
  pid_t pid, ppid;
};
size_t proc_list(struct proc_entry **out);
/* The thread ids of PID (/proc/PID/task), malloc'd; count in *n. */
pid_t *proc_tasks(pid_t pid, size_t *n);

/* ---- tracer.c: events ---- */

/* Starts an event line {"event":NAME,"time":...; the caller adds fields
 * (each starting with a comma) and calls event_end. */
void event_begin(struct buf *b, const char *name);
void event_end(struct buf *b);
/* An `error` event; pid <= 0 means none. */
void emit_error(pid_t pid, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Name of a signal ("SIGKILL"), or "SIG<n>". */
const char *signal_name(int sig);

/* ---- tracer.c: the process table ---- */

enum task_state {
  TASK_PENDING, /* auto-attached child whose creator's event has not come yet */
  TASK_EXPECT,  /* announced; its initial stop has not arrived yet */
  TASK_RUNNING, /* announced and under normal tracing */
};

struct task {
  pid_t tid, tgid;
  bool is_thread; /* a non-leader thread (no snapshot) */
  enum task_state state;
  bool held;                    /* in a ptrace-stop the tracer has not resumed */
  bool group_stopped;           /* last stop was a group-stop (resume with LISTEN) */
  bool pending_dead;            /* PENDING, and its death was already reported */
  int pending_status;           /* that death's wait status */
  pid_t guess_tgid, guess_ppid; /* PENDING: from /proc, for the fallback */
  double pending_since;         /* monotonic ms */
  char *snapshot;               /* last emitted snapshot (processes) */
  char *exit_snapshot;          /* taken at PTRACE_EVENT_EXIT */
  struct task *next;            /* hash chain */
};

struct task *task_find(pid_t tid);
/* Calls fn for every task (fn may not add or remove tasks). */
void task_each(void (*fn)(struct task *, void *), void *arg);
/* Handles one status from waitpid (the generic ptrace state machine). */
void handle_status(pid_t pid, int status);
/* Announces a new task created by `parent` (event: PTRACE_EVENT_*). */
void on_new_task(struct task *parent, int event, pid_t child);
/* Waits (up to timeout_ms) for a status of tid; 0 on success, -1 with
 * errno ETIMEDOUT or ECHILD. */
int wait_tid(pid_t tid, int *status, int timeout_ms);
double now_mono_ms(void);

/* The tracer's configuration and global state. */
struct tracer {
  int control_fd; /* -1: events on stdout, no commands */
  int out_fd;     /* where events go */
  int tty_fd;     /* -1: no shell */
  int rescan_ms;
  bool poll_mode;
  bool detaching;
  pid_t self;
  pid_t inject_child; /* the shell-to-be, held at its initial stop */
};
extern struct tracer T;

/* ---- inject.c ---- */

/* `shell PID ROWS COLS`: emits `shell` or `error`. */
void shell_open(pid_t pid, int rows, int cols);
/* `resize ROWS COLS`. */
void shell_resize(int rows, int cols);
/* The fds the loop must poll for the shell (master, tty): -1 when closed. */
int shell_master_fd(void);
int shell_tty_fd(void);
bool shell_active(void);
/* Relay: data is readable on the master / on the tty. */
void shell_pump_master(void);
void shell_pump_tty(void);
/* A traced process died: if it is the shell, emit `shell-exit` and close. */
void shell_on_death(pid_t pid, int status);

#endif
