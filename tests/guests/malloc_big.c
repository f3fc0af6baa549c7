// Allocates 1 GiB in 1 MiB chunks with malloc (memory grows from a few pages to over 16,384),
// touches the first and last byte of each chunk, and checks them all afterwards.
#include <stdio.h>
#include <stdlib.h>

#define CHUNK (1024 * 1024)
#define CHUNKS 1024

int main(void) {
  static unsigned char* chunks[CHUNKS];
  for (int i = 0; i < CHUNKS; ++i) {
    chunks[i] = malloc(CHUNK);
    if (chunks[i] == NULL) {
      printf("malloc failed at chunk %d\n", i);
      return 1;
    }
    chunks[i][0] = (unsigned char)i;
    chunks[i][CHUNK - 1] = (unsigned char)(i * 7);
  }
  for (int i = 0; i < CHUNKS; ++i) {
    if (chunks[i][0] != (unsigned char)i || chunks[i][CHUNK - 1] != (unsigned char)(i * 7)) {
      printf("chunk %d corrupted\n", i);
      return 1;
    }
  }
  printf("allocated %d MiB, memory is %s 16384 pages\n", CHUNKS,
         __builtin_wasm_memory_size(0) > 16384 ? "over" : "NOT over");
  for (int i = 0; i < CHUNKS; ++i) free(chunks[i]);
  return 0;
}
