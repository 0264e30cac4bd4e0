/* log.c — leveled messages to a sink (standard error by default).
 *
 * Formatting happens on the caller's stack and the sink is called under one mutex, so messages
 * from several threads never interleave. Logging must never allocate or fail: it is used on the
 * paths that report out-of-memory.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_int.h"
#include "fedc/base.h"

#define LOG_LEVEL_UNSET (-1)
#define LOG_MESSAGE_MAX 4096

/* An atomic level lets the disabled case cost one load; UNSET until the environment is read or
 * a level is set, whichever comes first. */
static atomic_int g_level = LOG_LEVEL_UNSET;
static atomic_bool g_env_bad; /* FEDC_LOG_LEVEL was set to something we do not understand */

static pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
static fedc_log_sink g_sink; /* guarded by g_mutex */
static void *g_sink_user;    /* guarded by g_mutex */

/* A sink that logs would deadlock on g_mutex; its messages go straight to stderr instead. */
static _Thread_local bool tl_in_sink;

static const char *const g_names[] = {"debug", "info", "warn", "error", "off"};

const char *fedc_log_level_name(fedc_log_level level) {
    if ((int)level < 0 || (int)level > (int)FEDC_LOG_LEVEL_OFF) return "unknown";
    return g_names[level];
}

bool fedc_log_level_parse(const char *text, fedc_log_level *out) {
    if (!text) return false;
    for (int l = 0; l <= (int)FEDC_LOG_LEVEL_OFF; l++) {
        const char *a = text, *b = g_names[l];
        while (*a && *b && tolower((unsigned char)*a) == *b)
            a++, b++;
        if (*a == '\0' && *b == '\0') {
            *out = (fedc_log_level)l;
            return true;
        }
    }
    return false;
}

static int current_level(void) {
    int level = atomic_load_explicit(&g_level, memory_order_acquire);
    if (level != LOG_LEVEL_UNSET) return level;
    fedc_log_level from_env = FEDC_LOG_LEVEL_WARN;
    const char *env = getenv("FEDC_LOG_LEVEL");
    bool bad = env && *env && !fedc_log_level_parse(env, &from_env);
    if (bad) from_env = FEDC_LOG_LEVEL_WARN;
    int expected = LOG_LEVEL_UNSET;
    /* A concurrent fedc_log_set_level wins over the environment. */
    if (atomic_compare_exchange_strong(&g_level, &expected, (int)from_env)) {
        if (bad) atomic_store(&g_env_bad, true);
        return (int)from_env;
    }
    return expected;
}

void fedc__log_reset_level(void) {
    atomic_store(&g_level, LOG_LEVEL_UNSET);
    atomic_store(&g_env_bad, false);
}

void fedc_log_set_level(fedc_log_level level) {
    if ((int)level < 0) level = FEDC_LOG_LEVEL_DEBUG;
    if ((int)level > (int)FEDC_LOG_LEVEL_OFF) level = FEDC_LOG_LEVEL_OFF;
    atomic_store_explicit(&g_level, (int)level, memory_order_release);
}

fedc_log_level fedc_log_get_level(void) { return (fedc_log_level)current_level(); }

void fedc_log_set_sink(fedc_log_sink sink, void *user) {
    pthread_mutex_lock(&g_mutex);
    g_sink = sink;
    g_sink_user = user;
    pthread_mutex_unlock(&g_mutex);
}

static void write_stderr(fedc_log_level level, const char *message) {
    fprintf(stderr, "fedc: %s: %s\n", fedc_log_level_name(level), message);
}

static void emit(fedc_log_level level, const char *message) {
    if (tl_in_sink) {
        write_stderr(level, message);
        return;
    }
    pthread_mutex_lock(&g_mutex);
    if (g_sink) {
        tl_in_sink = true;
        g_sink(g_sink_user, level, message);
        tl_in_sink = false;
    } else {
        write_stderr(level, message);
    }
    pthread_mutex_unlock(&g_mutex);
}

void fedc_log(fedc_log_level level, const char *fmt, ...) {
    if ((int)level < (int)FEDC_LOG_LEVEL_DEBUG || (int)level >= (int)FEDC_LOG_LEVEL_OFF) return;
    int threshold = current_level();
    /* Said once, so that a misspelt FEDC_LOG_LEVEL does not go unnoticed. */
    if (atomic_load_explicit(&g_env_bad, memory_order_relaxed) &&
        atomic_exchange(&g_env_bad, false) && threshold <= (int)FEDC_LOG_LEVEL_WARN)
        emit(FEDC_LOG_LEVEL_WARN, "FEDC_LOG_LEVEL: expected debug, info, warn, error or off; "
                                  "using warn");
    if ((int)level < threshold) return;

    char message[LOG_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    size_t len = (size_t)n < sizeof message ? (size_t)n : sizeof message - 1;
    /* The sink adds its own line break. */
    while (len > 0 && message[len - 1] == '\n')
        message[--len] = '\0';
    emit(level, message);
}
