/*
 * Batch normalisation over [n, c, len] (Backend.batchNorm and batchNormBackward in
 * core/backend.ts), split over threads by channel. Every value is computed in float64 in the
 * reference's order (core/cpu/batch_norm.ts), so the results are bitwise the reference's on
 * any thread count.
 */

/* One call's operands, as cpu/wasm_kernels.ts lays them out; absent operands are null. */
typedef struct {
  double eps;
  int n, c, len, threads;
  /* Forward: compute the batch's statistics. Backward: they were the batch's. */
  int batch;
  const float *x, *gy, *weight, *bias;
  float *mean, *variance, *out, *g_weight, *g_bias;
} NormJob;

int norm_job_bytes(void) { return sizeof(NormJob); }

/* The channels [*c0, *c1) that `thread` takes. */
static void channels(const NormJob *job, int thread, int *c0, int *c1) {
  *c0 = (int)((long long)job->c * thread / job->threads);
  *c1 = (int)((long long)job->c * (thread + 1) / job->threads);
}

/* y = (x − mean)/√(var + eps)·γ + β per channel, with the batch's statistics when `batch`. */
void batch_norm_thread(const NormJob *job, int thread) {
  int n = job->n, c = job->c, len = job->len, c0, c1;
  double count = (double)n * len;
  const float *x = job->x;
  channels(job, thread, &c0, &c1);
  for (int ch = c0; ch < c1; ch++) {
    if (job->batch) {
      double sum = 0;
      for (int i = 0; i < n; i++) {
        const float *at = x + (i * c + ch) * len;
        for (int j = 0; j < len; j++) sum += at[j];
      }
      double m = sum / count, squares = 0;
      for (int i = 0; i < n; i++) {
        const float *at = x + (i * c + ch) * len;
        for (int j = 0; j < len; j++) {
          double d = at[j] - m;
          squares += d * d;
        }
      }
      job->mean[ch] = (float)m;
      job->variance[ch] = (float)(squares / count);
    }
    double m = job->mean[ch];
    double inv_std = 1 / __builtin_sqrt(job->variance[ch] + job->eps);
    double scale = (job->weight ? job->weight[ch] : 1) * inv_std;
    double shift = job->bias ? job->bias[ch] : 0;
    for (int i = 0; i < n; i++) {
      const float *at = x + (i * c + ch) * len;
      float *y = job->out + (i * c + ch) * len;
      for (int j = 0; j < len; j++) y[j] = (float)((at[j] - m) * scale + shift);
    }
  }
}

/*
 * gβ = Σ gy, gγ = Σ gy·x̂ (written where g_weight is not null), and into `out`
 * gx = γ·invStd·(gy − gβ/M − x̂·gγ/M) with batch statistics, γ·invStd·gy without.
 */
void batch_norm_backward_thread(const NormJob *job, int thread) {
  int n = job->n, c = job->c, len = job->len, c0, c1;
  double count = (double)n * len;
  const float *x = job->x, *gy = job->gy;
  channels(job, thread, &c0, &c1);
  for (int ch = c0; ch < c1; ch++) {
    double m = job->mean[ch];
    double inv_std = 1 / __builtin_sqrt(job->variance[ch] + job->eps);
    double sum_gy = 0, sum_gy_xhat = 0;
    for (int i = 0; i < n; i++) {
      int at = (i * c + ch) * len;
      for (int j = 0; j < len; j++) {
        double g = gy[at + j];
        sum_gy += g;
        sum_gy_xhat += g * (x[at + j] - m) * inv_std;
      }
    }
    if (job->g_weight) {
      job->g_weight[ch] = (float)sum_gy_xhat;
      job->g_bias[ch] = (float)sum_gy;
    }
    double scale = (job->weight ? job->weight[ch] : 1) * inv_std;
    double mean_gy = job->batch ? sum_gy / count : 0;
    double mean_gy_xhat = job->batch ? sum_gy_xhat / count : 0;
    for (int i = 0; i < n; i++) {
      int at = (i * c + ch) * len;
      for (int j = 0; j < len; j++) {
        double xhat = (x[at + j] - m) * inv_std;
        job->out[at + j] = (float)(scale * (gy[at + j] - mean_gy - xhat * mean_gy_xhat));
      }
    }
  }
}
