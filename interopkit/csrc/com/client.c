/*
 * The COM client: activates class Sample (isample.idl) with CoCreateInstance and calls it, then
 * prints one JSON object on stdout. Built for x86 and x64 by interopkit/build.py; run by
 * interopkit.com.real (under Wine on Linux, directly on Windows).
 *
 *   comclient [--clsctx HEX] [--calls N] [--echo VALUE]... [--payload BYTES]... [--cap-ms MS]
 *
 * --clsctx   the CLSCTX flags (default 0x4, CLSCTX_LOCAL_SERVER)
 * --calls    how many timed Add calls after the first ones (default 0); each is timed alone.
 *            With --payload: at most this many timed calls per payload
 * --echo     a value (decimal or 0x hex, up to 64 bits) to send through each Echo method
 * --payload  a payload size for the benchmark (interopkit.bench.realcom): 0 times Add(2, 3),
 *            N > 0 times Checksum over an [in] buffer of N bytes, filled as the kit's harness
 *            fills its payloads (bytes 0..255 repeated over whole blocks of 256, zeros after)
 * --cap-ms   per payload, stop timing once this many milliseconds are spent and at least 5
 *            calls are timed (default 2000), as interopkit.bench.harness.measure does
 *
 * Output fields: "client_bits"; "create_hr" (0 on success) and "create_us"; then, when the
 * object was made: "add" (Add(2, 3)), "ptr_size" (measured inside the server), "server_pid",
 * the server process as this client sees it from outside ("server_image" from
 * QueryFullProcessImageNameW, "server_bits" from IsWow64Process), "call_us" (every timed call),
 * "echo" (per value: what the server received for each type, widened to 64 bits, or the HRESULT
 * of a failed call), "payloads" (per --payload: "bytes", "result" of its first call, "warmup"
 * untimed calls, "wrong" calls whose result differed from the first, "call_us" every timed
 * call), and "hr" (the first failing call's HRESULT, 0 when none failed).
 *
 * Every time is taken here, in the client, with QueryPerformanceCounter around the one call:
 * the proxy's marshaling, the trip to the server's process and back, the stub, the work and the
 * reply; not the activation, which "create_us" times once.
 */
#define COBJMACROS
#include <windows.h>
#include <objbase.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include "isample.h"

#define MAX_ECHO 16
#define MAX_PAYLOADS 16
#define MAX_PAYLOAD_BYTES (64ul << 20)

static double elapsed_us(LARGE_INTEGER start, LARGE_INTEGER end, LARGE_INTEGER freq) {
  return (double)(end.QuadPart - start.QuadPart) * 1e6 / (double)freq.QuadPart;
}

/* A wide string as JSON, escaping what JSON requires; non-ASCII as \u escapes. */
static void print_json_wide(const WCHAR *text) {
  putchar('"');
  for (; *text; text++) {
    unsigned c = *text;
    if (c == '"' || c == '\\')
      printf("\\%c", (char)c);
    else if (c < 0x20 || c > 0x7e)
      printf("\\u%04x", c);
    else
      putchar((char)c);
  }
  putchar('"');
}

static int server_bits(HANDLE process) {
  SYSTEM_INFO native;
  BOOL wow64 = FALSE;
  GetNativeSystemInfo(&native);
  if (native.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_INTEL) return 32;
  if (!IsWow64Process(process, &wow64)) return 0;
  return wow64 ? 32 : 64;
}

static void print_server(DWORD pid) {
  HANDLE process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  WCHAR image[MAX_PATH * 2];
  DWORD size = sizeof image / sizeof image[0];
  if (!process) {
    printf(", \"server_image\": null, \"server_bits\": 0, \"server_error\": %lu",
           (unsigned long)GetLastError());
    return;
  }
  printf(", \"server_image\": ");
  if (QueryFullProcessImageNameW(process, 0, image, &size))
    print_json_wide(image);
  else
    printf("null");
  printf(", \"server_bits\": %d", server_bits(process));
  CloseHandle(process);
}

static HRESULT print_echo(ISample *obj, ULONG64 value) {
  ULONG64 seen_dword = 0, seen_handle = 0, seen_u64 = 0;
  LONG64 seen_int = 0;
  HRESULT hr[4];
  hr[0] = ISample_EchoDwordPtr(obj, (DWORD_PTR)value, &seen_dword);
  hr[1] = ISample_EchoIntPtr(obj, (INT_PTR)value, &seen_int);
  hr[2] = ISample_EchoHandlePtr(obj, (HANDLE_PTR)value, &seen_handle);
  hr[3] = ISample_EchoUlong64(obj, value, &seen_u64);
  printf("{\"sent\": \"0x%llx\"", (unsigned long long)value);
  const char *names[4] = {"DWORD_PTR", "INT_PTR", "HANDLE_PTR", "ULONG64"};
  ULONG64 seen[4] = {seen_dword, (ULONG64)seen_int, seen_handle, seen_u64};
  HRESULT first = S_OK;
  for (int i = 0; i < 4; i++) {
    if (SUCCEEDED(hr[i]))
      printf(", \"%s\": \"0x%llx\"", names[i], (unsigned long long)seen[i]);
    else
      printf(", \"%s\": {\"hr\": %lu}", names[i], (unsigned long)hr[i]);
    if (FAILED(hr[i]) && first == S_OK) first = hr[i];
  }
  putchar('}');
  return first;
}

static double now_us(LARGE_INTEGER freq) {
  LARGE_INTEGER t;
  QueryPerformanceCounter(&t);
  return (double)t.QuadPart * 1e6 / (double)freq.QuadPart;
}

/* One call at this payload: Add(2, 3) for 0 bytes, Checksum over buf otherwise. */
static HRESULT payload_call(ISample *obj, ULONG bytes, const BYTE *buf, ULONG *result) {
  if (bytes == 0) {
    LONG sum = 0;
    HRESULT hr = ISample_Add(obj, 2, 3, &sum);
    *result = (ULONG)sum;
    return hr;
  }
  return ISample_Checksum(obj, bytes, buf, result);
}

/* Times calls at one payload as interopkit.bench.harness.measure does (a first call, a short
 * warm-up of at most 20 calls within min(20 ms, cap / 10), then up to `calls` timed calls,
 * stopping once at least 5 are timed and cap_ms is spent), each call alone. */
static HRESULT print_payload(ISample *obj, ULONG bytes, long calls, double cap_ms,
                             LARGE_INTEGER freq) {
  BYTE *buf = bytes ? malloc(bytes) : NULL;
  ULONG whole = bytes - bytes % 256, first_result = 0, result = 0;
  long warmup = 0, wrong = 0, timed = 0;
  LARGE_INTEGER t0, t1;
  HRESULT hr;
  if (bytes && !buf) return E_OUTOFMEMORY;
  for (ULONG i = 0; i < bytes; i++) buf[i] = i < whole ? (BYTE)i : 0;
  printf("{\"bytes\": %lu", (unsigned long)bytes);
  hr = payload_call(obj, bytes, buf, &first_result);
  if (SUCCEEDED(hr)) {
    double warm = now_us(freq), limit = cap_ms * 100.0; /* cap / 10, in microseconds */
    if (limit > 20000.0) limit = 20000.0;
    while (warmup < 20 && now_us(freq) - warm <= limit && SUCCEEDED(hr)) {
      hr = payload_call(obj, bytes, buf, &result);
      warmup++;
    }
  }
  printf(", \"result\": %lu, \"warmup\": %ld, \"call_us\": [", (unsigned long)first_result,
         warmup);
  double began = now_us(freq);
  while (SUCCEEDED(hr) && timed < calls) {
    if (timed >= 5 && now_us(freq) - began > cap_ms * 1000.0) break;
    QueryPerformanceCounter(&t0);
    hr = payload_call(obj, bytes, buf, &result);
    QueryPerformanceCounter(&t1);
    if (FAILED(hr)) break;
    if (result != first_result) wrong++;
    printf("%s%.2f", timed ? ", " : "", elapsed_us(t0, t1, freq));
    timed++;
  }
  printf("], \"wrong\": %ld}", wrong);
  free(buf);
  return hr;
}

int wmain(int argc, WCHAR **argv) {
  DWORD clsctx = CLSCTX_LOCAL_SERVER;
  long calls = 0;
  ULONG64 echo[MAX_ECHO], payload[MAX_PAYLOADS];
  int echoes = 0, payloads = 0;
  double cap_ms = 2000.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!wcscmp(argv[i], L"--clsctx"))
      clsctx = (DWORD)wcstoul(argv[i + 1], NULL, 0);
    else if (!wcscmp(argv[i], L"--calls"))
      calls = wcstol(argv[i + 1], NULL, 10);
    else if (!wcscmp(argv[i], L"--echo") && echoes < MAX_ECHO)
      echo[echoes++] = _wcstoui64(argv[i + 1], NULL, 0);
    else if (!wcscmp(argv[i], L"--payload") && payloads < MAX_PAYLOADS)
      payload[payloads++] = _wcstoui64(argv[i + 1], NULL, 10);
    else if (!wcscmp(argv[i], L"--cap-ms"))
      cap_ms = wcstod(argv[i + 1], NULL);
    else {
      fwprintf(stderr, L"comclient: unknown argument %ls\n", argv[i]);
      return 2;
    }
  }
  if (calls < 0 || calls > 100000) {
    fprintf(stderr, "comclient: --calls must be 0..100000\n");
    return 2;
  }
  for (int i = 0; i < payloads; i++)
    if (payload[i] > MAX_PAYLOAD_BYTES) {
      fprintf(stderr, "comclient: --payload must be 0..%lu bytes\n", MAX_PAYLOAD_BYTES);
      return 2;
    }
  if (!(cap_ms > 0 && cap_ms <= 600000)) {
    fprintf(stderr, "comclient: --cap-ms must be more than 0 and at most 600000\n");
    return 2;
  }

  LARGE_INTEGER freq, t0, t1;
  QueryPerformanceFrequency(&freq);
  HRESULT hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
  printf("{\"client_bits\": %d, \"clsctx\": %lu", (int)(sizeof(void *) * 8),
         (unsigned long)clsctx);
  if (FAILED(hr)) {
    printf(", \"create_hr\": %lu, \"create_us\": 0, \"stage\": \"CoInitializeEx\"}\n",
           (unsigned long)hr);
    return 0;
  }
  ISample *obj = NULL;
  QueryPerformanceCounter(&t0);
  hr = CoCreateInstance(&CLSID_Sample, NULL, clsctx, &IID_ISample, (void **)&obj);
  QueryPerformanceCounter(&t1);
  printf(", \"create_hr\": %lu, \"create_us\": %.1f", (unsigned long)hr,
         elapsed_us(t0, t1, freq));
  if (FAILED(hr) || !obj) {
    printf("}\n");
    CoUninitialize();
    return 0;
  }

  HRESULT first = S_OK;
  LONG sum = 0;
  ULONG size = 0;
  DWORD pid = 0;
  hr = ISample_Add(obj, 2, 3, &sum);
  if (FAILED(hr)) first = hr;
  printf(", \"add\": %ld", (long)sum);
  hr = ISample_PtrSize(obj, &size);
  if (FAILED(hr) && first == S_OK) first = hr;
  printf(", \"ptr_size\": %lu", (unsigned long)size);
  hr = ISample_ProcessId(obj, &pid);
  if (FAILED(hr) && first == S_OK) first = hr;
  printf(", \"server_pid\": %lu", (unsigned long)pid);
  if (SUCCEEDED(hr)) print_server(pid);

  printf(", \"call_us\": [");
  for (long i = 0; i < (payloads ? 0 : calls); i++) {
    QueryPerformanceCounter(&t0);
    hr = ISample_Add(obj, (LONG)i, 1, &sum);
    QueryPerformanceCounter(&t1);
    if (FAILED(hr)) {
      if (first == S_OK) first = hr;
      break;
    }
    printf("%s%.1f", i ? ", " : "", elapsed_us(t0, t1, freq));
  }
  printf("], \"echo\": [");
  for (int i = 0; i < echoes; i++) {
    if (i) printf(", ");
    hr = print_echo(obj, echo[i]);
    if (FAILED(hr) && first == S_OK) first = hr;
  }
  printf("], \"payloads\": [");
  for (int i = 0; i < payloads && SUCCEEDED(first); i++) {
    if (i) printf(", ");
    hr = print_payload(obj, (ULONG)payload[i], calls, cap_ms, freq);
    if (FAILED(hr) && first == S_OK) first = hr;
  }
  printf("], \"hr\": %lu}\n", (unsigned long)first);
  ISample_Release(obj);
  CoUninitialize();
  return 0;
}
