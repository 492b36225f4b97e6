/*
 * Moves of whole rows on the calling thread, with the engine's block copy (memory.copy):
 * the batch gather from the training set held in this memory, and copies between arrays here.
 * A typed array's set() over shared memory copies word by word, several times slower.
 */

/*
 * Row r of x (width floats) = row ix[r] of table, and y[r] = classes[ix[r]], for r < rows;
 * an index outside [0, count) gives a zero row and label 0 (core/cpu/gather.ts).
 */
void gather_rows(const float *table, const float *classes, int count, const float *ix, int rows,
                 int width, float *x, float *y) {
  for (int r = 0; r < rows; r++, x += width) {
    float k = ix[r];
    if (k >= 0 && k < count) {
      int i = (int)k;
      __builtin_memcpy(x, table + (long)i * width, (unsigned long)width * sizeof(float));
      y[r] = classes[i];
    } else {
      __builtin_memset(x, 0, (unsigned long)width * sizeof(float));
      y[r] = 0;
    }
  }
}

/* dst[0..n) = src[0..n). */
void copy_floats(float *dst, const float *src, int n) {
  __builtin_memmove(dst, src, (unsigned long)n * sizeof(float));
}
