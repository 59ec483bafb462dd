/*
 * Flotilla's local launcher, in C: the same protocol as launcher.pl, built by `npm ci`
 * (`npm run build:launcher`) where a C compiler exists. It starts attempts with posix_spawn,
 * which on Linux and macOS does not copy the caller's page tables, so a start costs a few
 * tens of microseconds instead of the ~0.5 ms of a Perl fork or ~1.5 ms of a Node fork.
 *
 * Usage: launcher [SLOTS]  — at most SLOTS attempts run at once (default: no limit); more
 * wait in a queue, and the next starts the moment one ends, without a round trip to the core.
 *
 * Protocol, one line each way, fields separated by tabs:
 *   in:  ID SHELL SCRIPT MARKER [FOLDER]...   (all but ID base64)
 *        cancel ID                            (drops a queued attempt; a running one the core kills)
 *   out: started ID PID | exit ID CODE SIGNAL | failed ID MESSAGE
 * For an attempt it creates the folders, runs SHELL -c SCRIPT flotilla MARKER in its own
 * process group, and appends "pid PID" to the MARKER file. CODE is -1 when the attempt was
 * killed by signal number SIGNAL. When its input ends (the core is gone) it starts nothing
 * more, keeps reaping its attempts, and then exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_FIELDS 64

struct attempt {
  pid_t pid;
  char *id;
  struct attempt *next;
};

/* A request waiting for a slot: its line, undecoded. */
struct queued {
  char *line;
  struct queued *next;
};

static struct attempt *attempts;
static int running;
static long slots = -1;
static struct queued *queue_head, *queue_tail;
static int wake[2];
static int reporting = 1;

static void on_child(int signal) {
  (void)signal;
  int saved = errno;
  ssize_t ignored = write(wake[1], "x", 1);
  (void)ignored;
  errno = saved;
}

/* Writes a whole line to stdout; after a failed write (the core is gone) stops reporting. */
static void report(const char *line, size_t length) {
  while (reporting && length > 0) {
    ssize_t written = write(STDOUT_FILENO, line, length);
    if (written < 0) {
      if (errno == EINTR) continue;
      reporting = 0;
      return;
    }
    line += written;
    length -= (size_t)written;
  }
}

static void reportf(const char *format, const char *id, long a, long b) {
  char line[512];
  int length = snprintf(line, sizeof line, format, id, a, b);
  if (length > 0) report(line, (size_t)length < sizeof line ? (size_t)length : sizeof line - 1);
}

static void report_started(const char *id, pid_t pid) {
  char line[512];
  int length = snprintf(line, sizeof line, "started %s %ld\n", id, (long)pid);
  if (length > 0) report(line, (size_t)length < sizeof line ? (size_t)length : sizeof line - 1);
}

static void fail(const char *id, const char *what, const char *detail) {
  char line[4096];
  int length = snprintf(line, sizeof line, "failed %s %s %s: %s\n", id, what, detail, strerror(errno));
  for (int i = 0; i < length - 1; i++)
    if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
  if (length > 0) report(line, (size_t)length < sizeof line ? (size_t)length : sizeof line - 1);
}

static int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Decodes base64 in place; returns the decoded text, NUL-terminated. */
static char *decode(char *text) {
  char *out = text;
  int bits = 0, buffer = 0;
  for (char *in = text; *in; in++) {
    int value = base64_value(*in);
    if (value < 0) continue;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out++ = (char)((buffer >> bits) & 0xff);
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

static void append_pid(const char *marker, pid_t pid) {
  int fd = open(marker, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) return;
  char text[32];
  int length = snprintf(text, sizeof text, "pid %ld\n", (long)pid);
  ssize_t ignored = write(fd, text, (size_t)length);
  (void)ignored;
  close(fd);
}

static void launch(char *line) {
  char *fields[MAX_FIELDS];
  int count = 0;
  for (char *rest = line, *field; (field = strsep(&rest, "\t")) != NULL && count < MAX_FIELDS;) fields[count++] = field;
  if (count < 4) return;
  char *id = fields[0];
  for (int i = 1; i < count; i++) decode(fields[i]);
  for (int i = 4; i < count; i++) {
    if (make_folder(fields[i]) != 0) {
      fail(id, "cannot create folder", fields[i]);
      return;
    }
  }
  char *argv[] = {fields[1], "-c", fields[2], "flotilla", fields[3], NULL};

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGCHLD);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  int error = posix_spawn(&pid, fields[1], NULL, &attributes, argv, environ);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    errno = error;
    fail(id, "cannot run", fields[1]);
    return;
  }
  struct attempt *attempt = malloc(sizeof *attempt);
  attempt->pid = pid;
  attempt->id = strdup(id);
  attempt->next = attempts;
  attempts = attempt;
  running++;
  report_started(id, pid);
  append_pid(fields[3], pid);
}

/* Starts queued attempts while there are free slots. */
static void drain_queue(void) {
  while (queue_head && (slots < 0 || running < slots)) {
    struct queued *next = queue_head;
    queue_head = next->next;
    if (!queue_head) queue_tail = NULL;
    launch(next->line);
    free(next->line);
    free(next);
  }
}

/* Drops a queued attempt: it ends as if killed by SIGTERM, never having started. */
static void cancel_queued(const char *id) {
  size_t length = strlen(id);
  for (struct queued **link = &queue_head, *previous = NULL; *link; previous = *link, link = &(*link)->next) {
    struct queued *item = *link;
    if (strncmp(item->line, id, length) != 0 || item->line[length] != '\t') continue;
    *link = item->next;
    if (queue_tail == item) queue_tail = previous;
    reportf("exit %s %ld %ld\n", id, -1, SIGTERM);
    free(item->line);
    free(item);
    return;
  }
}

static void request(char *line) {
  if (strncmp(line, "cancel ", 7) == 0) {
    cancel_queued(line + 7);
    return;
  }
  struct queued *item = malloc(sizeof *item);
  item->line = strdup(line);
  item->next = NULL;
  if (queue_tail) queue_tail->next = item;
  else queue_head = item;
  queue_tail = item;
  drain_queue();
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (struct attempt **link = &attempts; *link; link = &(*link)->next) {
      struct attempt *attempt = *link;
      if (attempt->pid != pid) continue;
      if (WIFSIGNALED(status)) reportf("exit %s %ld %ld\n", attempt->id, -1, WTERMSIG(status));
      else reportf("exit %s %ld %ld\n", attempt->id, WEXITSTATUS(status), 0);
      *link = attempt->next;
      free(attempt->id);
      free(attempt);
      running--;
      break;
    }
  }
}

int main(int argc, char **argv) {
  if (argc > 1) slots = strtol(argv[1], NULL, 10);
  signal(SIGPIPE, SIG_IGN);
  if (pipe(wake) != 0) return 1;
  fcntl(wake[0], F_SETFL, O_NONBLOCK);
  fcntl(wake[1], F_SETFL, O_NONBLOCK);
  fcntl(wake[0], F_SETFD, FD_CLOEXEC);
  fcntl(wake[1], F_SETFD, FD_CLOEXEC);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_child;
  action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &action, NULL);

  size_t capacity = 1 << 16, used = 0;
  char *buffer = malloc(capacity);
  int input_open = 1;
  while (input_open || attempts) {
    struct pollfd fds[2] = {{wake[0], POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    int ready = poll(fds, input_open ? 2 : 1, -1);
    if (ready < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      char drain[64];
      while (read(wake[0], drain, sizeof drain) > 0) {
      }
    }
    reap();
    if (input_open) drain_queue();
    if (input_open && (fds[1].revents & (POLLIN | POLLHUP))) {
      if (capacity - used < 4096) buffer = realloc(buffer, capacity *= 2);
      ssize_t got = read(STDIN_FILENO, buffer + used, capacity - used - 1);
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        input_open = 0;
        reporting = 0;
        continue;
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
  }
  return 0;
}
