/*
 * ember-vsock: the guest's AF_VSOCK tool (busybox has none). Built static by
 * guest-images/build into /bin/ember-vsock of the initramfs and the ext4 root.
 *
 *   ember-vsock listen PORT              accept on PORT, echo every connection's bytes back
 *   ember-vsock listen PORT CMD [ARG..]  accept on PORT, run CMD per connection with the
 *                                        connection as its stdin and stdout (an "agent")
 *   ember-vsock connect CID PORT         connect, copy stdin to the peer and the peer to
 *                                        stdout; stdin's end half-closes the connection,
 *                                        the peer's end ends the program
 *
 * `listen` prints "ember-vsock: listening on PORT" once bound, so a test can wait for it,
 * and serves connections concurrently (one child process each) until killed.
 * Exit status: 0 on a clean end, 1 on a failed system call (with its reason on stderr),
 * 2 on bad arguments.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

static int fail(const char *what) {
  fprintf(stderr, "ember-vsock: %s: %s\n", what, strerror(errno));
  return 1;
}

static int parse_u32(const char *text, unsigned *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(text, &end, 10);
  if (errno || *text == '\0' || *end != '\0' || v > 0xffffffffUL) return -1;
  *out = (unsigned)v;
  return 0;
}

static int write_all(int fd, const char *buf, ssize_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, (size_t)len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= n;
  }
  return 0;
}

/* Copies in both directions until the peer ends; `in` reaching EOF half-closes `sock`. */
static int pump(int in, int out, int sock) {
  static char buf[65536];
  struct pollfd fds[2] = {{.fd = in, .events = POLLIN}, {.fd = sock, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return fail("poll");
    }
    if (fds[0].revents) {
      ssize_t n = read(in, buf, sizeof buf);
      if (n < 0 && errno != EINTR) return fail("read stdin");
      if (n == 0) {
        shutdown(sock, SHUT_WR);
        fds[0].fd = -1;
      } else if (n > 0 && write_all(sock, buf, n) < 0) {
        return fail("write to the connection");
      }
    }
    if (fds[1].revents) {
      ssize_t n = read(sock, buf, sizeof buf);
      if (n < 0 && errno != EINTR) return fail("read from the connection");
      if (n == 0) return 0;
      if (n > 0 && write_all(out, buf, n) < 0) return fail("write stdout");
    }
  }
}

static int echo(int sock) {
  static char buf[65536];
  for (;;) {
    ssize_t n = read(sock, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("read from the connection");
    if (n == 0) return 0;
    if (write_all(sock, buf, n) < 0) return fail("write to the connection");
  }
}

static int do_listen(unsigned port, char **cmd) {
  int s = socket(AF_VSOCK, SOCK_STREAM, 0);
  if (s < 0) return fail("socket(AF_VSOCK)");
  struct sockaddr_vm addr = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port};
  if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0) return fail("bind");
  if (listen(s, 128) < 0) return fail("listen");
  signal(SIGCHLD, SIG_IGN); /* children reap themselves */
  printf("ember-vsock: listening on %u\n", port);
  fflush(stdout);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return fail("accept");
    }
    pid_t pid = fork();
    if (pid < 0) {
      fail("fork");
      close(c);
      continue;
    }
    if (pid == 0) {
      close(s);
      if (cmd[0] == NULL) _exit(echo(c));
      if (dup2(c, 0) < 0 || dup2(c, 1) < 0) _exit(fail("dup2"));
      close(c);
      execvp(cmd[0], cmd);
      _exit(fail(cmd[0]));
    }
    close(c);
  }
}

static int do_connect(unsigned cid, unsigned port) {
  int s = socket(AF_VSOCK, SOCK_STREAM, 0);
  if (s < 0) return fail("socket(AF_VSOCK)");
  struct sockaddr_vm addr = {.svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port};
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) return fail("connect");
  return pump(0, 1, s);
}

int main(int argc, char **argv) {
  unsigned a, b;
  signal(SIGPIPE, SIG_IGN);
  if (argc >= 3 && strcmp(argv[1], "listen") == 0 && parse_u32(argv[2], &a) == 0)
    return do_listen(a, argv + 3);
  if (argc == 4 && strcmp(argv[1], "connect") == 0 && parse_u32(argv[2], &a) == 0
      && parse_u32(argv[3], &b) == 0)
    return do_connect(a, b);
  fprintf(stderr, "usage: ember-vsock listen PORT [CMD [ARG...]]\n"
                  "       ember-vsock connect CID PORT\n");
  return 2;
}
