/*
 * Rate limiting of enrichment requests: a token bucket per provider held
 * for the whole process, and the clock it runs on (injectable, so tests
 * check the arithmetic without waiting).
 */
#include "enrich/enrich_int.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

void enrich_ratelimit_init(struct enrich_ratelimit *rl, long per_min,
                           long burst)
{
    /* Rounded up: a bucket may run slower than its quota, never faster. */
    rl->interval_ms = per_min > 0 ? (60000 + per_min - 1) / per_min : 0;
    rl->burst = burst > 0 ? burst : 1;
    rl->tat_ms = 0;
}

/*
 * A full bucket is one whose next token was due burst-1 intervals ago:
 * with tau = (burst - 1) * interval a request conforms when
 * now >= tat - tau, and then moves tat one interval on.
 */
int64_t enrich_ratelimit_take(struct enrich_ratelimit *rl, int64_t now_ms)
{
    int64_t tau = (rl->burst - 1) * rl->interval_ms;
    int64_t tat = rl->tat_ms > now_ms ? rl->tat_ms : now_ms;

    if (now_ms < tat - tau)
        return tat - tau - now_ms;
    rl->tat_ms = tat + rl->interval_ms;
    return 0;
}

void enrich_ratelimit_pause(struct enrich_ratelimit *rl, int64_t until_ms)
{
    int64_t tau = (rl->burst - 1) * rl->interval_ms;

    if (rl->tat_ms < until_ms + tau)
        rl->tat_ms = until_ms + tau;
}

int64_t enrich_clock_ms(const struct enrich_settings *s)
{
    struct timespec ts;

    if (s && s->clock_ms)
        return s->clock_ms(s->clock_data);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void enrich_sleep_ms(const struct enrich_settings *s, int64_t ms)
{
    struct timespec ts;

    if (ms <= 0)
        return;
    if (s && s->sleep_ms) {
        s->sleep_ms(s->clock_data, ms);
        return;
    }
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/*
 * The process-wide buckets. Requests are spaced evenly (a burst of one):
 * then no minute ever holds more than the quota, which is how the APIs
 * count it. The web server enriches from several threads, hence the lock.
 */
static pthread_mutex_t throttle_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    long per_min;
    bool is_set;
    struct enrich_ratelimit rl;
} throttle[ENRICH_MAX];

void enrich_throttle(const struct enrich_settings *s, enum enrich_slot slot)
{
    long per_min = s->rate_per_min[slot];

    for (;;) {
        int64_t wait;

        pthread_mutex_lock(&throttle_lock);
        if (!throttle[slot].is_set || throttle[slot].per_min != per_min) {
            int64_t tat = throttle[slot].rl.tat_ms;

            /* A changed rate keeps the pause an API asked for. */
            enrich_ratelimit_init(&throttle[slot].rl, per_min, 1);
            throttle[slot].rl.tat_ms = tat;
            throttle[slot].per_min = per_min;
            throttle[slot].is_set = true;
        }
        wait = enrich_ratelimit_take(&throttle[slot].rl, enrich_clock_ms(s));
        pthread_mutex_unlock(&throttle_lock);
        if (wait == 0)
            return;
        enrich_sleep_ms(s, wait);
    }
}

void enrich_throttle_pause(enum enrich_slot slot, int64_t until_ms)
{
    pthread_mutex_lock(&throttle_lock);
    enrich_ratelimit_pause(&throttle[slot].rl, until_ms);
    pthread_mutex_unlock(&throttle_lock);
}

void enrich_throttle_reset(void)
{
    pthread_mutex_lock(&throttle_lock);
    for (size_t i = 0; i < ENRICH_MAX; i++) {
        throttle[i].is_set = false;
        throttle[i].per_min = 0;
        throttle[i].rl.tat_ms = 0;
    }
    pthread_mutex_unlock(&throttle_lock);
}
