/*
 * The kit's sample library: one C file built for Windows (x86, x64, ARM64 DLLs) and
 * Linux (i386, x86_64, aarch64 shared objects) by interopkit/build.py.
 *
 * The Windows builds are import-free: no C runtime, no kernel32, nothing in the import
 * directory. That lets the kit's own loaders (the emulator, the Linux-side surrogate) map
 * them without a Windows loader. So nothing here may call a library function, and the
 * build passes -fno-builtin so the compiler does not turn the loops into memset/memcpy.
 *
 * Exports (the contract the notebooks, the emulator and the surrogate rely on):
 *   int32_t  add(int32_t a, int32_t b)            a + b, wrapping at 32 bits
 *   int32_t  add_stdcall(int32_t a, int32_t b)    the same with __stdcall on x86 Windows;
 *                                                 exported there as "add_stdcall@8"
 *   uint32_t checksum(const uint8_t *buf, uint32_t len)
 *                                                 32-bit FNV-1a over buf[0..len)
 *   uint32_t fill(uint8_t *out, uint32_t len, uint8_t seed)
 *                                                 out[i] = (seed + i) mod 256; returns len
 *   uint32_t ptr_size(void)                       sizeof(void *) of this build: 4 or 8
 *   intptr_t echo_ptr(intptr_t value)             returns its pointer-sized argument
 *   uint64_t echo_u64(uint64_t value)             returns its 64-bit argument (two stack
 *                                                 slots in and EDX:EAX out on x86)
 *   uint32_t counter_next(void)                   increments a static counter, returns it
 *   void     counter_reset(uint32_t value)        sets the counter
 *   const char *arch_name(void)                   "x86", "x64" or "arm64" ("i386",
 *                                                 "x86_64", "aarch64" on Linux), read
 *                                                 through a pointer in .data so that
 *                                                 every build carries a base relocation
 */
#include <stdint.h>

#if defined(_WIN32) && defined(__i386__)
#define IK_STDCALL __stdcall
#else
#define IK_STDCALL
#endif

#if defined(IK_API)
/* com/server.c compiles this file into the COM server, which exports only COM's entry points. */
#elif defined(_WIN32)
#define IK_API __declspec(dllexport)
#else
#define IK_API __attribute__((visibility("default")))
#endif

#if defined(_WIN32) && defined(__i386__)
#define IK_ARCH "x86"
#elif defined(_WIN32) && defined(__x86_64__)
#define IK_ARCH "x64"
#elif defined(_WIN32) && defined(__aarch64__)
#define IK_ARCH "arm64"
#elif defined(__i386__)
#define IK_ARCH "i386"
#elif defined(__x86_64__)
#define IK_ARCH "x86_64"
#elif defined(__aarch64__)
#define IK_ARCH "aarch64"
#else
#error "unsupported target"
#endif

static uint32_t counter_value;

/* An absolute address stored in data: the linker must emit a base relocation for it. */
static const char *volatile arch_name_ptr = IK_ARCH;

IK_API int32_t add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }

IK_API int32_t IK_STDCALL add_stdcall(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

IK_API uint32_t checksum(const uint8_t *buf, uint32_t len) {
  uint32_t hash = 2166136261u; /* FNV-1a offset basis */
  for (uint32_t i = 0; i < len; i++) {
    hash ^= buf[i];
    hash *= 16777619u; /* FNV prime */
  }
  return hash;
}

IK_API uint32_t fill(uint8_t *out, uint32_t len, uint8_t seed) {
  for (uint32_t i = 0; i < len; i++) out[i] = (uint8_t)(seed + i);
  return len;
}

IK_API uint32_t ptr_size(void) { return (uint32_t)sizeof(void *); }

IK_API intptr_t echo_ptr(intptr_t value) { return value; }

IK_API uint64_t echo_u64(uint64_t value) { return value; }

IK_API uint32_t counter_next(void) { return ++counter_value; }

IK_API void counter_reset(uint32_t value) { counter_value = value; }

IK_API const char *arch_name(void) { return arch_name_ptr; }

#if defined(_WIN32) && !defined(IK_NO_ENTRY)
/* With no C runtime the DLL needs its own entry point; it has nothing to initialise. */
int IK_STDCALL DllMainCRTStartup(void *instance, uint32_t reason, void *reserved) {
  (void)instance;
  (void)reason;
  (void)reserved;
  return 1;
}
#endif
