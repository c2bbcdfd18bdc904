/*
 * A DLL that misbehaves inside the surrogate, for tests/test_surrogate.py: one export (or one
 * DllMain mode) per failure mode a client must survive. Built at test time with the kit's zig
 * recipe for x86 and x64 Windows, import-free like the samples, so that the native Linux
 * surrogate can map it. The misdeeds use raw Linux system calls: they mean something only in
 * the native Linux surrogate, which is a Linux process (the emulated one faults on them, and
 * Wine is not asked to run them). Only spin() is plain code that every surrogate can run.
 *
 * DllMain's mode is the character after "interopkit-bad-mode:" in the file; the tests patch a
 * copy of the built DLL instead of building it once per mode:
 *   0 nothing          1 text on stdout            2 a HELLO reply that is not JSON
 *   3 a HELLO lacking fields   4 a reply with an unknown status   5 a HELLO with a bad value
 */
#include <stdint.h>

/* Windows is LLP64: a long is 32 bits even on x64, so system call words are intptr_t. */

#define IK_API __declspec(dllexport)
#if defined(__i386__)
#define IK_STDCALL __stdcall
#else
#define IK_STDCALL
#endif

#if defined(__x86_64__)
#define SYS_WRITE 1
#define SYS_CLOSE 3
#define SYS_NANOSLEEP 35
#define SYS_FORK 57
#define SYS_EXIT_GROUP 231
static intptr_t sys3(intptr_t n, intptr_t a, intptr_t b, intptr_t c) {
  intptr_t r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
#else
#define SYS_WRITE 4
#define SYS_CLOSE 6
#define SYS_NANOSLEEP 162
#define SYS_FORK 2
#define SYS_EXIT_GROUP 252
static intptr_t sys3(intptr_t n, intptr_t a, intptr_t b, intptr_t c) {
  intptr_t r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}
#endif

static volatile const char mode[] = "interopkit-bad-mode:0";
static char chunk[4096];

static uint32_t length(const char *text) {
  uint32_t n = 0;
  while (text[n]) n++;
  return n;
}

static void say(int fd, const char *text) { sys3(SYS_WRITE, fd, (intptr_t)text, length(text)); }

static void sleep_seconds(intptr_t seconds) {
  intptr_t spec[2] = {seconds, 0};
  sys3(SYS_NANOSLEEP, (intptr_t)spec, 0, 0);
}

/* A reply frame as interopkit/surrogate/wire.py declares it, to call id 1 (the client's HELLO). */
static void forge(uint32_t status, const char *payload) {
  uint8_t frame[256];
  uint32_t n = length(payload), fields[3] = {1, status, n};
  frame[0] = 'I';
  frame[1] = 'K';
  frame[2] = 1;
  frame[3] = 2; /* REPLY */
  for (int f = 0; f < 3; f++)
    for (int i = 0; i < 4; i++) frame[4 + 4 * f + i] = (uint8_t)(fields[f] >> (8 * i));
  for (uint32_t i = 0; i < n && i < 240; i++) frame[16 + i] = (uint8_t)payload[i];
  sys3(SYS_WRITE, 1, (intptr_t)frame, 16 + n);
}

/* Loops forever: a surrogate running it must still end with its client. */
IK_API uint32_t spin(void) {
  for (;;) __asm__ volatile("");
}

/* Writes n bytes to stderr, more than a pipe holds, then a last line. */
IK_API uint32_t chatter(uint32_t n) {
  for (uint32_t i = 0; i < sizeof chunk; i++) chunk[i] = 'x';
  for (uint32_t done = 0; done < n; done += sizeof chunk)
    sys3(SYS_WRITE, 2, (intptr_t)chunk, n - done < sizeof chunk ? n - done : sizeof chunk);
  say(2, "\nchatter ends here\n");
  return n;
}

/* Says something on stderr, then faults. */
IK_API uint32_t last_words(void) {
  say(2, "last words from the DLL\n");
  *(volatile int *)16 = 0;
  return 0;
}

/* Forks a child that keeps stdout and stderr open for `seconds`, says its pid on stderr, and
 * ends the surrogate with status 3. */
IK_API uint32_t fork_sleeper(uint32_t seconds) {
  intptr_t pid = sys3(SYS_FORK, 0, 0, 0);
  if (pid == 0) {
    sleep_seconds(seconds);
    sys3(SYS_EXIT_GROUP, 0, 0, 0);
  }
  char line[32] = "sleeper ";
  int at = 8;
  char digits[12];
  int n = 0;
  do digits[n++] = (char)('0' + pid % 10); while ((pid /= 10) && n < 11);
  while (n) line[at++] = digits[--n];
  line[at++] = '\n';
  line[at] = 0;
  say(2, line);
  sys3(SYS_EXIT_GROUP, 3, 0, 0);
  return 0;
}

/* Writes text where the reply frame belongs. */
IK_API uint32_t write_stdout(void) {
  say(1, "hello from the DLL on stdout\n");
  return 0;
}

/* Closes the surrogate's stdout, then stays busy for `seconds`. */
IK_API uint32_t close_stdout(uint32_t seconds) {
  sys3(SYS_CLOSE, 1, 0, 0);
  sleep_seconds(seconds);
  return 0;
}

int IK_STDCALL DllMainCRTStartup(void *instance, uint32_t reason, void *reserved) {
  (void)instance;
  (void)reserved;
  if (reason != 1) return 1;
  switch (mode[20]) {
    case '1': say(1, "loading the DLL...\n"); break;
    case '2': forge(0, "this is not JSON"); break;
    case '3': forge(0, "{\"pid\": 1}"); break;
    case '4': forge(77, "a status no one knows"); break;
    case '5':
      forge(0, "{\"pid\": 1, \"pointer_size\": 8, \"arch\": \"x86_64\", \"os\": \"linux\", "
               "\"loader\": \"x\", \"image_base\": \"zz\", \"relocated\": false}");
      break;
    default: break;
  }
  return 1;
}
