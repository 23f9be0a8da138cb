/* The bench worker: prints the sum of the generated functions, so every one is used. */
#include <stdio.h>
#include "generated.h"

int main(void) {
  printf("bench-compile %ld\n", generated_sum(1000));
  return 0;
}
