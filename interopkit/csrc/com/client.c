/*
 * The COM client: activates class Sample (isample.idl) with CoCreateInstance and calls it, then
 * prints one JSON object on stdout. Built for x86 and x64 by interopkit/build.py; run by
 * interopkit.com.real (under Wine on Linux, directly on Windows).
 *
 *   comclient [--clsctx HEX] [--calls N] [--echo VALUE]...
 *
 * --clsctx   the CLSCTX flags (default 0x4, CLSCTX_LOCAL_SERVER)
 * --calls    how many timed Add calls after the first ones (default 0); each is timed alone
 * --echo     a value (decimal or 0x hex, up to 64 bits) to send through each Echo method
 *
 * Output fields: "client_bits"; "create_hr" (0 on success) and "create_us"; then, when the
 * object was made: "add" (Add(2, 3)), "ptr_size" (measured inside the server), "server_pid",
 * the server process as this client sees it from outside ("server_image" from
 * QueryFullProcessImageNameW, "server_bits" from IsWow64Process), "call_us" (every timed call),
 * "echo" (per value: what the server received for each type, widened to 64 bits, or the HRESULT
 * of a failed call), and "hr" (the first failing call's HRESULT, 0 when none failed).
 */
#define COBJMACROS
#include <windows.h>
#include <objbase.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include "isample.h"

#define MAX_ECHO 16

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

int wmain(int argc, WCHAR **argv) {
  DWORD clsctx = CLSCTX_LOCAL_SERVER;
  long calls = 0;
  ULONG64 echo[MAX_ECHO];
  int echoes = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!wcscmp(argv[i], L"--clsctx"))
      clsctx = (DWORD)wcstoul(argv[i + 1], NULL, 0);
    else if (!wcscmp(argv[i], L"--calls"))
      calls = wcstol(argv[i + 1], NULL, 10);
    else if (!wcscmp(argv[i], L"--echo") && echoes < MAX_ECHO)
      echo[echoes++] = _wcstoui64(argv[i + 1], NULL, 0);
    else {
      fwprintf(stderr, L"comclient: unknown argument %ls\n", argv[i]);
      return 2;
    }
  }
  if (calls < 0 || calls > 100000) {
    fprintf(stderr, "comclient: --calls must be 0..100000\n");
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
  for (long i = 0; i < calls; i++) {
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
  printf("], \"hr\": %lu}\n", (unsigned long)first);
  ISample_Release(obj);
  CoUninitialize();
  return 0;
}
