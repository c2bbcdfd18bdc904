/*
 * The floor for any pipe protocol: read a frame (the 16-byte header of interopkit/surrogate/wire.py and
 * its payload) from stdin and write the same bytes back, until stdin closes. The surrogate
 * benchmark measures this round trip against a real call through the surrogate, both built the
 * same way by interopkit/build.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "wire.h"

static int move(int from, int to, uint8_t *buffer, uint32_t n) {
  uint32_t done = 0;
  while (done < n) {
    ssize_t got = read(from, buffer + done, n - done);
    if (got <= 0) return -1;
    done += (uint32_t)got;
  }
  for (uint32_t put = 0; put < n;) {
    ssize_t wrote = write(to, buffer + put, n - put);
    if (wrote <= 0) return -1;
    put += (uint32_t)wrote;
  }
  return 0;
}

int main(void) {
  static uint8_t header[IK_WIRE_HEADER_SIZE];
  uint8_t *payload = malloc(IK_WIRE_MAX_PAYLOAD);
  if (!payload) return 1;
  while (move(0, 1, header, sizeof header) == 0) {
    uint32_t length = header[12] | header[13] << 8 | header[14] << 16 | (uint32_t)header[15] << 24;
    if (length > IK_WIRE_MAX_PAYLOAD || move(0, 1, payload, length)) return 0;
  }
  return 0;
}
