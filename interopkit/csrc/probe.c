/*
 * The kit's probe: a tiny program that reports, as one line of JSON, what kind of process it
 * is. interopkit.host runs the 32-bit build to find out whether this machine can run 32-bit x86
 * processes at all (by running one, not by guessing), and the WOW64 lesson runs both builds.
 *
 * Built by interopkit/build.py as static Linux executables (i386, x86_64) and as Windows EXEs
 * (x86, x64, ARM64) that import only three KERNEL32 functions. The exit status is the pointer
 * size, so even a caller that cannot read stdout learns the answer.
 */
#include <stdint.h>

#if defined(__i386__)
#define IK_ARCH "i386"
#elif defined(__x86_64__)
#define IK_ARCH "x86_64"
#elif defined(__aarch64__)
#define IK_ARCH "aarch64"
#else
#error "unsupported target"
#endif

#if defined(_WIN32)
#define IK_OS "windows"
typedef void *HANDLE;
__declspec(dllimport) HANDLE __stdcall GetStdHandle(uint32_t which);
__declspec(dllimport) int __stdcall WriteFile(HANDLE file, const void *data, uint32_t size,
                                              uint32_t *written, void *overlapped);
__declspec(dllimport) void __stdcall ExitProcess(uint32_t code);
#define STD_OUTPUT_HANDLE ((uint32_t)-11)
static void write_out(const char *data, uint32_t size) {
  uint32_t written;
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), data, size, &written, 0);
}
#else
#define IK_OS "linux"
#include <unistd.h>
static void write_out(const char *data, uint32_t size) { (void)!write(1, data, size); }
#endif

static int probe_main(void) {
  static const char head[] =
      "{\"probe\": \"interopkit\", \"os\": \"" IK_OS "\", \"arch\": \"" IK_ARCH
      "\", \"pointer_size\": ";
  const char tail[3] = {(char)('0' + sizeof(void *)), '}', '\n'};
  write_out(head, sizeof head - 1);
  write_out(tail, sizeof tail);
  return (int)sizeof(void *);
}

#if defined(_WIN32)
/* No C runtime on Windows: the linker is told to start here (see build.py). */
void probe_entry(void) { ExitProcess((uint32_t)probe_main()); }
#else
int main(void) { return probe_main(); }
#endif
