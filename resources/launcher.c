/*
 * Flotilla's local launcher, in C, built by `npm ci` (`npm run build:launcher`) where a C
 * compiler exists; launcher.pl does the same job more slowly elsewhere. For short tasks the
 * cost of a task is mostly process and file creation, so this helper:
 *   - starts attempts with vfork on Linux (posix_spawnp elsewhere), which does not copy
 *     the caller's page tables;
 *   - keeps a queue per slot, so the next attempt starts the moment one ends, without a
 *     round trip to the core;
 *   - captures each attempt's stdout and stderr through pipes and creates its log files only
 *     when output arrives (a file creation costs more than running `echo`);
 *   - writes an attempt's status marker (pid, then exit status) only when the core may not
 *     have recorded it: after the core went away, or said goodbye while the attempt ran.
 * It ignores SIGINT, SIGHUP and SIGTERM, so a closed terminal or a Ctrl-C meant for the core
 * does not cut the attempts off from their logs; it exits once its input has ended (or the
 * core said goodbye) and its attempts have ended and closed their output.
 *
 * Usage: launcher [SLOTS]  — at most SLOTS attempts run at once (default: no limit).
 *
 * Protocol, one line each way, fields separated by tabs (in all but ID a backslash, tab or
 * newline is escaped as \\, \t or \n; IDs are the positive integers the core numbers its
 * launches with):
 *   in:  ID[<ID,ID...] SHELL SCRIPT MARKER STDOUT STDERR [FOLDER]...
 *        cancel ID         drop a queued attempt, reported withdrawn (a running one the core kills itself)
 *        ack ID [ID]...    the core has recorded these attempts' ends
 *        hold BELOW MS READY  starts and successes may wait, at most MS ms, while it holds at
 *                          least BELOW attempts and (READY 1) no slot idles (see flush_due)
 *        bye               the core is shutting down cleanly; every end reported was recorded
 *   out: started ID PID | exit ID CODE SIGNAL MS | failed ID MESSAGE | withdrawn ID
 *        | lost ID STREAM BYTES MESSAGE
 * For an attempt it creates the folders, then runs SHELL -c SCRIPT flotilla MARKER in its
 * own process group. CODE is -1 when the attempt was killed by signal number SIGNAL; MS is
 * how long it ran, in milliseconds. `lost` comes just before an `exit` when BYTES of the
 * attempt's output (STREAM: stdout or stderr) could not be written to its log file, with the
 * first error; such an attempt counts as failed for those that wait for it.
 * An attempt sent with `<ID,ID...` waits until those attempts (sent earlier) have exited 0,
 * like SLURM's afterok: a chain of tasks then advances without a round trip to the core.
 * When one of them fails, is killed or is unknown, it never starts and is reported withdrawn.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_FIELDS 64

/* One stream of an attempt: a pipe, and the log file it goes to (created on first output).
   Output that cannot be written there (the file cannot be created, a full disk) is counted
   in `lost`, with the first error, and reported with the attempt's end. */
struct stream {
  int pipe;
  int file;
  char *path;
  long long lost;
  int error;
};

struct attempt {
  long id;
  char *marker;
  pid_t pid;
  int running;
  int recorded; /* the core acknowledged its end */
  int announced; /* "started" was reported */
  long long since; /* when it started, in ms (monotonic) */
  int status;   /* wait status, once it ended */
  struct stream out, err;
  struct attempt *next;
};

/* A request waiting for a slot: its id, the ids it waits for, and its fields, still escaped. */
struct queued {
  long id;
  int count;
  long *after;
  char *fields;
  struct queued *next;
};

/* What is known of each id, indexed by it: its attempt once started, whether a line with it
   is queued, and how many queued lines wait for it. Lookups by id are then O(1): with a
   deep queue of chained lines, searching lists for each id cost more than running `true`. */
struct known {
  struct attempt *attempt;
  int queued;
  int waiters;
};

static struct known *known;
static long known_size;
static struct attempt *attempts;
static struct queued *queue_head, *queue_tail;
static long slots = -1;
static int running;
static int wake[2];
static int dev_null = -1; /* every attempt's input, opened once */
static int reporting = 1;
static int core_gone;


static void on_child(int signal) {
  (void)signal;
  int saved = errno;
  ssize_t ignored = write(wake[1], "x", 1);
  (void)ignored;
  errno = saved;
}

/* Lines for the core wait in the outbox and go in one write: a woken core costs more than
   the line (see `flush_due`). */
static char *outbox;
static size_t outbox_used, outbox_size;
static long long held_since; /* when the oldest waiting line was written (ms, monotonic) */
static int urgent;           /* a waiting line should not wait */
static long hold_below = -1; /* set by `hold`: see flush_due */
static long hold_ms;
static int core_has_ready; /* the core holds attempts that could start now */

static void core_went_away(void);
static long long now_ms(void);
static void pump(struct stream *stream);

/* Queues a line for the core (newlines in it become spaces). */
static void report(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *format, ...) {
  if (!reporting) return;
  char line[4096];
  va_list arguments;
  va_start(arguments, format);
  int length = vsnprintf(line, sizeof line, format, arguments);
  va_end(arguments);
  if (length < 0) return;
  if ((size_t)length > sizeof line - 2) length = sizeof line - 2;
  for (int i = 0; i < length; i++)
    if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
  line[length++] = '\n';
  if (outbox_used + (size_t)length > outbox_size) {
    outbox_size = (outbox_used + (size_t)length) * 2;
    outbox = realloc(outbox, outbox_size);
  }
  if (outbox_used == 0) held_since = now_ms();
  memcpy(outbox + outbox_used, line, (size_t)length);
  outbox_used += (size_t)length;
}

/* A line that should not wait: a failure or a withdrawal. */
#define report_now(...) \
  do {                    \
    report(__VA_ARGS__);  \
    urgent = 1;           \
  } while (0)

/* Writes the waiting lines; after a failed write (the core is gone) stops reporting. */
static void flush_reports(void) {
  const char *rest = outbox;
  while (outbox_used > 0 && reporting) {
    ssize_t written = write(STDOUT_FILENO, rest, outbox_used);
    if (written < 0) {
      if (errno == EINTR) continue;
      core_went_away();
      break;
    }
    rest += written;
    outbox_used -= (size_t)written;
  }
  outbox_used = 0;
  urgent = 0;
}

/* A start is reported only once the attempt has run this long (or with its end): a short
   attempt then costs the core one message, not two. */
#define ANNOUNCE_AFTER_MS 3

static long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void announce(struct attempt *attempt) {
  if (attempt->announced) return;
  attempt->announced = 1;
  report("started %ld %ld", attempt->id, (long)attempt->pid);
}

/* Reports the starts of attempts that have run long enough; returns ms until the next is due, or -1. */
static int announce_due(void) {
  long long now = now_ms();
  int wait = -1;
  for (struct attempt *attempt = attempts; attempt; attempt = attempt->next) {
    if (attempt->announced || !attempt->running) continue;
    long long left = attempt->since + ANNOUNCE_AFTER_MS - now;
    if (left <= 0) announce(attempt);
    else if (wait < 0 || left < wait) wait = (int)left;
  }
  return wait;
}

/* Undoes the core's escapes in place (`\\`, `\t` and `\n` for a backslash, tab and newline);
   NULL for any other escape, which the core never writes. */
static char *unescape(char *text) {
  char *out = text;
  for (char *in = text; *in; in++) {
    if (*in != '\\') {
      *out++ = *in;
      continue;
    }
    switch (*++in) {
    case '\\': *out++ = '\\'; break;
    case 't': *out++ = '\t'; break;
    case 'n': *out++ = '\n'; break;
    default: return NULL;
    }
  }
  *out = '\0';
  return text;
}

/* mkdir -p, one system call when the parent exists (the common case). */
static int make_folder(char *folder) {
  if (mkdir(folder, 0777) == 0 || errno == EEXIST) return 0;
  if (errno != ENOENT) return -1;
  char *slash = strrchr(folder, '/');
  if (slash == NULL || slash == folder) return -1;
  *slash = '\0';
  int parent = make_folder(folder);
  *slash = '/';
  if (parent != 0) return -1;
  return mkdir(folder, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

/* Appends the attempt's pid (and its end, if it ended, with what output it lost) to its
   status marker. */
static void write_marker(struct attempt *attempt) {
  int fd = open(attempt->marker, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) return;
  char text[512];
  int length = snprintf(text, sizeof text, "pid %ld\n", (long)attempt->pid);
  if (!attempt->running) {
    struct stream *pair[2] = {&attempt->out, &attempt->err};
    for (int i = 0; i < 2; i++)
      if (pair[i]->lost) length += snprintf(text + length, sizeof text - (size_t)length, "lost %s %lld %s\n", i == 0 ? "stdout" : "stderr", pair[i]->lost, strerror(pair[i]->error));
    if (WIFSIGNALED(attempt->status)) length += snprintf(text + length, sizeof text - (size_t)length, "signal %d\n", WTERMSIG(attempt->status));
    else length += snprintf(text + length, sizeof text - (size_t)length, "exit %d\n", WEXITSTATUS(attempt->status));
  }
  if (length > (int)sizeof text - 1) length = (int)sizeof text - 1;
  ssize_t ignored = write(fd, text, (size_t)length);
  (void)ignored;
  close(fd);
}

/* The core is gone: record in markers what it may not have recorded itself. */
static void core_went_away(void) {
  if (core_gone) return;
  core_gone = 1;
  reporting = 0;
  for (struct attempt *attempt = attempts; attempt; attempt = attempt->next)
    if (!attempt->recorded) write_marker(attempt);
}

/* The entry for an id, growing the table as ids come; NULL for an id out of range. */
#define MAX_ID (1L << 28)
static struct known *entry(long id) {
  if (id <= 0 || id >= MAX_ID) return NULL;
  if (id >= known_size) {
    long size = known_size ? known_size : 1024;
    while (size <= id) size *= 2;
    struct known *grown = realloc(known, (size_t)size * sizeof *known);
    if (!grown) return NULL;
    memset(grown + known_size, 0, (size_t)(size - known_size) * sizeof *known);
    known = grown;
    known_size = size;
  }
  return &known[id];
}

/* Parses a positive id; returns 0 when the text is not one. */
static long parse_id(const char *text, const char **end) {
  char *stop;
  errno = 0;
  long id = strtol(text, &stop, 10);
  if (end) *end = stop;
  if (stop == text || errno != 0 || id <= 0 || id >= MAX_ID) return 0;
  return id;
}

static void free_attempt(struct attempt *attempt) {
  free(attempt->marker);
  free(attempt->out.path);
  free(attempt->err.path);
  free(attempt);
}

/* Drops attempts that ended, were recorded (or marked), and closed their output. One that
   succeeded is kept while a queued attempt waits for it (for a slot, then): forgotten, it
   would read as unknown, and its follower would be withdrawn. Once the core is gone nothing
   queued starts, so nothing is kept for it. */
static void forget_finished(void) {
  for (struct attempt **link = &attempts; *link;) {
    struct attempt *attempt = *link;
    if (!attempt->running && (attempt->recorded || core_gone) && attempt->out.pipe < 0 && attempt->err.pipe < 0 && (core_gone || known[attempt->id].waiters == 0)) {
      *link = attempt->next;
      known[attempt->id].attempt = NULL;
      free_attempt(attempt);
    } else {
      link = &attempt->next;
    }
  }
}

static void close_pair(int fds[2]) {
  if (fds[0] >= 0) close(fds[0]);
  if (fds[1] >= 0) close(fds[1]);
}

/* A pipe whose ends both close on exec. */
static int cloexec_pipe(int fds[2]) {
#ifdef __linux__
  return pipe2(fds, O_CLOEXEC);
#else
  if (pipe(fds) != 0) return -1;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return 0;
#endif
}

/* The signals the launcher ignores or catches, which an attempt gets at their defaults. */
static const int restored[] = {SIGCHLD, SIGPIPE, SIGINT, SIGHUP, SIGTERM};
#define RESTORED (sizeof restored / sizeof *restored)

#ifdef __linux__
/* Set by a child whose exec failed: it shares our memory until it execs or exits. */
static volatile int spawn_error;
#endif

/* Starts ARGV (looked up in PATH) in a process group of its own, reading /dev/null and
   writing to OUT and ERR, with no signal blocked and the RESTORED ones at their defaults.
   Returns 0 and sets *PID, or returns an errno.
   On Linux it uses vfork: the child borrows the launcher's memory until it execs, and makes
   only system calls meanwhile. glibc's posix_spawn works the same way but also maps a stack
   for every child and resets all 64 signals one by one in it, which costs about a tenth of a
   trivial task. All signals stay blocked here while the child runs on our memory, so no
   handler of ours runs in it. */
static int spawn_attempt(pid_t *pid, char *const argv[], int out, int err) {
#ifdef __linux__
  sigset_t all, previous;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &previous);
  spawn_error = 0;
  pid_t child = vfork();
  if (child == 0) {
    int in = dev_null >= 0 ? dev_null : open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (setpgid(0, 0) != 0 || in < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) {
      spawn_error = errno;
      _exit(127);
    }
    struct sigaction defaults;
    memset(&defaults, 0, sizeof defaults);
    defaults.sa_handler = SIG_DFL;
    for (size_t i = 0; i < RESTORED; i++) sigaction(restored[i], &defaults, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(argv[0], argv);
    spawn_error = errno;
    _exit(127);
  }
  int error = child < 0 ? errno : spawn_error;
  /* A child that could not exec has exited by now: reap it here, not as an attempt. */
  if (child > 0 && error != 0) waitpid(child, NULL, 0);
  sigprocmask(SIG_SETMASK, &previous, NULL);
  if (error == 0) *pid = child;
  return error;
#else
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (dev_null >= 0) posix_spawn_file_actions_adddup2(&actions, dev_null, STDIN_FILENO);
  else posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (size_t i = 0; i < RESTORED; i++) sigaddset(&defaults, restored[i]);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  int error = posix_spawnp(pid, argv[0], &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return error;
#endif
}

/* Starts a queued request: `fields` are SHELL SCRIPT MARKER STDOUT STDERR [FOLDER]..., escaped. */
static void launch(long id, char *line) {
  char *fields[MAX_FIELDS];
  int count = 1;
  for (char *rest = line, *field; (field = strsep(&rest, "\t")) != NULL && count < MAX_FIELDS;) fields[count++] = field;
  if (count < 6) {
    report_now("failed %ld the request has too few fields", id);
    return;
  }
  for (int i = 1; i < count; i++) {
    if (unescape(fields[i]) == NULL) {
      report_now("failed %ld field %d of the request has an unknown escape", id, i);
      return;
    }
  }
  for (int i = 6; i < count; i++) {
    if (make_folder(fields[i]) != 0) {
      report_now("failed %ld cannot create folder %s: %s", id, fields[i], strerror(errno));
      return;
    }
  }
  /* Both ends close on exec (the child gets its copies by dup2); only ours does not block. */
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (cloexec_pipe(out) != 0 || cloexec_pipe(err) != 0) {
    report_now("failed %ld cannot make a pipe: %s", id, strerror(errno));
    close_pair(out);
    close_pair(err);
    return;
  }
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);

  char *argv[] = {fields[1], "-c", fields[2], "flotilla", fields[3], NULL};
  pid_t pid;
  int error = spawn_attempt(&pid, argv, out[1], err[1]);
  close(out[1]);
  close(err[1]);
  if (error != 0) {
    close(out[0]);
    close(err[0]);
    report_now("failed %ld cannot run %s: %s", id, fields[1], strerror(error));
    return;
  }
  struct attempt *attempt = calloc(1, sizeof *attempt);
  attempt->id = id;
  known[id].attempt = attempt;
  attempt->marker = strdup(fields[3]);
  attempt->pid = pid;
  attempt->running = 1;
  attempt->out = (struct stream){out[0], -1, strdup(fields[4]), 0, 0};
  attempt->err = (struct stream){err[0], -1, strdup(fields[5]), 0, 0};
  attempt->next = attempts;
  attempts = attempt;
  attempt->since = now_ms();
  running++;
  if (core_gone) write_marker(attempt);
}

/* Whether the attempts a queued request waits for have all exited 0 (1), one of them failed
   or is unknown (-1), or some have still to end (0). */
static int after_state(const struct queued *item) {
  int state = 1;
  for (int i = 0; i < item->count; i++) {
    const struct known *ref = &known[item->after[i]];
    const struct attempt *found = ref->attempt;
    if (found && !found->running && (!(WIFEXITED(found->status) && WEXITSTATUS(found->status) == 0) || found->out.lost || found->err.lost)) return -1;
    if (!found && !ref->queued) return -1;
    if (!found || found->running) state = 0;
  }
  return state;
}

/* A request leaves the queue (started, withdrawn or dropped): what it waited for is no longer awaited by it. */
static void unqueue(struct queued *item) {
  known[item->id].queued = 0;
  for (int i = 0; i < item->count; i++) known[item->after[i]].waiters--;
  free(item->after);
  free(item->fields);
  free(item);
}

/* Starts queued attempts while there are free slots, in order among those whose attempts to
   wait for have succeeded; withdraws those that wait for a failure (not once the core is gone:
   then nothing new starts, and a later core starts again what never began). */
static void drain_queue(void) {
  if (core_gone) return;
  for (struct queued **link = &queue_head, *previous = NULL; *link;) {
    struct queued *item = *link;
    int state = after_state(item);
    if (state == 0 || (state > 0 && slots >= 0 && running >= slots)) {
      previous = item;
      link = &item->next;
      continue;
    }
    *link = item->next;
    if (queue_tail == item) queue_tail = previous;
    long id = item->id;
    char *fields = item->fields;
    item->fields = NULL;
    unqueue(item);
    if (state > 0) launch(id, fields);
    else report_now("withdrawn %ld", id);
    free(fields);
  }
}

/* Drops a queued attempt: it never starts. */
static void cancel_queued(long id) {
  if (!entry(id) || !known[id].queued) return;
  for (struct queued **link = &queue_head, *previous = NULL; *link; previous = *link, link = &(*link)->next) {
    struct queued *item = *link;
    if (item->id != id) continue;
    *link = item->next;
    if (queue_tail == item) queue_tail = previous;
    unqueue(item);
    report_now("withdrawn %ld", id);
    return;
  }
}

static void acknowledge(const char *ids) {
  for (const char *rest = ids; *rest;) {
    const char *end;
    long id = parse_id(rest, &end);
    if (id && id < known_size && known[id].attempt && !known[id].attempt->running) known[id].attempt->recorded = 1;
    rest = end == rest ? rest + 1 : end;
    while (*rest == ' ') rest++;
  }
}

/* Queues a request `ID[<ID,ID...]<TAB>FIELDS`; one that cannot be read is reported failed. */
static void enqueue(const char *line) {
  const char *rest;
  long id = parse_id(line, &rest);
  if (!id || !entry(id)) {
    report_now("failed %.*s the launcher takes positive integer ids", (int)strcspn(line, "<\t"), line);
    return;
  }
  struct queued *item = calloc(1, sizeof *item);
  item->id = id;
  if (*rest == '<') {
    item->after = malloc((strcspn(rest, "\t") / 2 + 1) * sizeof *item->after);
    for (rest++; *rest && *rest != '\t';) {
      const char *end;
      long ref = parse_id(rest, &end);
      if (!ref || !entry(ref)) {
        free(item->after);
        free(item);
        report_now("failed %ld it waits for an id that cannot be read", id);
        return;
      }
      item->after[item->count++] = ref;
      rest = *end == ',' ? end + 1 : end;
    }
  }
  if (*rest != '\t') {
    free(item->after);
    free(item);
    report_now("failed %ld the request cannot be read (ID[<ID,ID...], then its fields after a tab)", id);
    return;
  }
  item->fields = strdup(rest + 1);
  known[id].queued = 1;
  for (int i = 0; i < item->count; i++) known[item->after[i]].waiters++;
  if (queue_tail) queue_tail->next = item;
  else queue_head = item;
  queue_tail = item;
  drain_queue();
}

static void request(char *line) {
  if (strncmp(line, "cancel ", 7) == 0) {
    cancel_queued(parse_id(line + 7, NULL));
    return;
  }
  if (strncmp(line, "hold ", 5) == 0) {
    char *end;
    hold_below = strtol(line + 5, &end, 10);
    hold_ms = strtol(end, &end, 10);
    core_has_ready = strtol(end, NULL, 10) != 0;
    if (hold_ms <= 0) hold_below = -1;
    return;
  }
  if (strncmp(line, "ack ", 4) == 0) {
    acknowledge(line + 4);
    return;
  }
  if (strcmp(line, "bye") == 0) {
    for (struct attempt *attempt = attempts; attempt; attempt = attempt->next)
      if (!attempt->running) attempt->recorded = 1;
    /* Nothing more comes, and nobody reads: what still runs is recorded in its marker. */
    core_went_away();
    return;
  }
  enqueue(line);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (struct attempt *attempt = attempts; attempt; attempt = attempt->next) {
      if (attempt->pid != pid || !attempt->running) continue;
      attempt->running = 0;
      attempt->status = status;
      running--;
      /* The next attempt first, unless it waits for this one. Then what this one wrote (in
         its pipes by now) is read before its end is reported or a follower released, so
         output that could not be saved is known by then. */
      int followed = known[attempt->id].waiters > 0;
      if (!followed) drain_queue();
      pump(&attempt->out);
      pump(&attempt->err);
      if (followed) drain_queue();
      announce(attempt);
      struct stream *pair[2] = {&attempt->out, &attempt->err};
      for (int i = 0; i < 2; i++)
        if (pair[i]->lost) report_now("lost %ld %s %lld %s", attempt->id, i == 0 ? "stdout" : "stderr", pair[i]->lost, strerror(pair[i]->error));
      long long took = now_ms() - attempt->since;
      if (WIFSIGNALED(status)) report("exit %ld -1 %d %lld", attempt->id, WTERMSIG(status), took);
      else report("exit %ld %d 0 %lld", attempt->id, WEXITSTATUS(status), took);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) urgent = 1;
      if (core_gone) write_marker(attempt);
      break;
    }
  }
}

/* Copies what a stream's pipe holds to its log file, creating the file on first output;
   what cannot be written is counted as lost. */
static void pump(struct stream *stream) {
  char buffer[65536];
  while (stream->pipe >= 0) {
    ssize_t got = read(stream->pipe, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return;
    if (got <= 0) {
      close(stream->pipe);
      stream->pipe = -1;
      if (stream->file >= 0) close(stream->file);
      stream->file = -1;
      return;
    }
    if (stream->file < 0) {
      stream->file = open(stream->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
      if (stream->file < 0 && !stream->error) stream->error = errno;
    }
    for (char *rest = buffer; got > 0 && stream->file >= 0;) {
      ssize_t written = write(stream->file, rest, (size_t)got);
      if (written < 0 && errno == EINTR) continue;
      if (written < 0) {
        /* A full disk: the attempt goes on, and its end says what was lost. */
        if (!stream->error) stream->error = errno;
        break;
      }
      rest += written;
      got -= written;
    }
    stream->lost += got;
  }
}

/* Whether the waiting lines go to the core now. Starts and successes wait while the
   launcher holds at least `hold_below` attempts (running or queued: the core says how many
   it wants kept here), for at most `hold_ms`: the core, woken once for a batch of ends,
   records them in one commit. They go at once when a slot idles while the core has attempts
   ready to start, and anything else goes at once: a failure, a withdrawal, an idle launcher.
   Without a `hold` from the core nothing waits. */
static int flush_due(long long now) {
  if (outbox_used == 0) return 0;
  if (urgent || hold_below < 0 || running == 0 || now - held_since >= hold_ms) return 1;
  if (core_has_ready && slots >= 0 && running < slots) return 1;
  long held = running;
  for (struct queued *item = queue_head; item && held < hold_below; item = item->next) held++;
  return held < hold_below;
}

int main(int argc, char **argv) {
  if (argc > 1) slots = strtol(argv[1], NULL, 10);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  if (cloexec_pipe(wake) != 0) return 1;
  dev_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  for (int i = 0; i < 2; i++) fcntl(wake[i], F_SETFL, O_NONBLOCK);
  fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_child;
  action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &action, NULL);

  size_t capacity = 1 << 16, used = 0;
  char *buffer = malloc(capacity);
  int input_open = 1;
  struct pollfd *fds = NULL;
  struct stream **streams = NULL;
  size_t fds_capacity = 0;
  /* Once the core is gone (or said goodbye) it need not wait for the end of its input: the
     core's process may take a while to end, and whoever waits for the command waits for
     this one too (it shares the command's standard error). */
  while ((input_open && !core_gone) || attempts) {
    size_t count = 0, needed = 2;
    for (struct attempt *attempt = attempts; attempt; attempt = attempt->next) needed += 2;
    if (needed > fds_capacity) {
      fds_capacity = needed * 2;
      fds = realloc(fds, fds_capacity * sizeof *fds);
      streams = realloc(streams, fds_capacity * sizeof *streams);
    }
    fds[count++] = (struct pollfd){wake[0], POLLIN, 0};
    if (input_open) fds[count++] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
    size_t first_stream = count;
    for (struct attempt *attempt = attempts; attempt; attempt = attempt->next) {
      struct stream *pair[2] = {&attempt->out, &attempt->err};
      for (int i = 0; i < 2; i++) {
        if (pair[i]->pipe < 0) continue;
        streams[count] = pair[i];
        fds[count++] = (struct pollfd){pair[i]->pipe, POLLIN, 0};
      }
    }
    int wait = announce_due();
    long long now = now_ms();
    if (flush_due(now)) flush_reports();
    if (outbox_used > 0) {
      long long left = held_since + hold_ms - now;
      if (left < 0) left = 0;
      if (wait < 0 || left < wait) wait = (int)left;
    }
    int ready = poll(fds, (nfds_t)count, wait);
    if (ready < 0 && errno != EINTR) break;
    if (ready < 0) continue;
    if (fds[0].revents & POLLIN) {
      char drain[64];
      while (read(wake[0], drain, sizeof drain) > 0) {
      }
    }
    /* Requests first, even when poll woke for a child: a cancel the core wrote before it
       killed a running attempt must reach the queue before that end frees a slot. */
    while (input_open) {
      if (capacity - used < 4096) buffer = realloc(buffer, capacity *= 2);
      ssize_t got = read(STDIN_FILENO, buffer + used, capacity - used - 1);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) break; /* EAGAIN: nothing more for now */
      if (got == 0) {
        input_open = 0;
        core_went_away();
        break;
      }
      used += (size_t)got;
      char *start = buffer;
      for (char *end; (end = memchr(start, '\n', used - (size_t)(start - buffer))) != NULL; start = end + 1) {
        *end = '\0';
        request(start);
      }
      used -= (size_t)(start - buffer);
      memmove(buffer, start, used);
    }
    /* Ends before output: a slot freed starts its next attempt before the ended one's
       pipes are read to their end. */
    reap();
    for (size_t i = first_stream; i < count; i++)
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) pump(streams[i]);
    forget_finished();
  }
  return 0;
}
