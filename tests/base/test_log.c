/* test_log.c — logging: level names, filtering, the FEDC_LOG_LEVEL variable, the default stderr
 * sink, truncation, whole messages under concurrency, and a sink that logs.
 * Each test restores the default sink and level, so the tests also pass with --no-fork. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base_int.h"
#include "harness/harness.h"

enum { MAX_CAPTURED = 4096 };

typedef struct {
    int count;
    fedc_log_level level[MAX_CAPTURED];
    char *text[MAX_CAPTURED];
} captured;

/* Deliberately unsynchronized: the library promises to call the sink under its own mutex. */
static void capture_sink(void *user, fedc_log_level level, const char *message) {
    captured *c = user;
    if (c->count < MAX_CAPTURED) {
        c->level[c->count] = level;
        c->text[c->count] = strdup(message);
    }
    c->count++;
}

static void captured_free(captured *c) {
    for (int i = 0; i < c->count && i < MAX_CAPTURED; i++)
        free(c->text[i]);
    free(c);
}

static void restore_defaults(void) {
    fedc_log_set_sink(NULL, NULL);
    fedc_log_set_level(FEDC_LOG_LEVEL_WARN);
}

/* Runs with file descriptor 2 sent to a temporary file; returns what was written. */
typedef struct {
    FILE *tmp;
    int saved;
} stderr_capture;

static void stderr_begin(stderr_capture *s) {
    fflush(stderr);
    s->tmp = tmpfile();
    if (!s->tmp) FAIL("tmpfile failed");
    s->saved = dup(2);
    if (s->saved < 0 || dup2(fileno(s->tmp), 2) < 0) FAIL("dup failed");
}

static void stderr_end(stderr_capture *s, char *buf, size_t cap) {
    fflush(stderr);
    dup2(s->saved, 2);
    close(s->saved);
    rewind(s->tmp);
    size_t n = fread(buf, 1, cap - 1, s->tmp);
    buf[n] = '\0';
    fclose(s->tmp);
}

TEST(level_names_parse_and_print) {
    static const char *names[] = {"debug", "info", "warn", "error", "off"};
    for (int l = 0; l <= FEDC_LOG_LEVEL_OFF; l++) {
        fedc_log_level parsed = (fedc_log_level)-1;
        ASSERT_STREQ(fedc_log_level_name((fedc_log_level)l), names[l]);
        ASSERT_TRUE(fedc_log_level_parse(names[l], &parsed));
        ASSERT_EQ(parsed, l);
    }
    fedc_log_level out = FEDC_LOG_LEVEL_INFO;
    ASSERT_TRUE(fedc_log_level_parse("ErRoR", &out));
    ASSERT_EQ(out, FEDC_LOG_LEVEL_ERROR);
    ASSERT_TRUE(fedc_log_level_parse("DEBUG", &out));
    ASSERT_EQ(out, FEDC_LOG_LEVEL_DEBUG);
    out = FEDC_LOG_LEVEL_INFO;
    static const char *bad[] = {"", "warning", "war", "warn ", " warn", "3", "offf"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_FALSE(fedc_log_level_parse(bad[i], &out));
        ASSERT_EQ(out, FEDC_LOG_LEVEL_INFO); /* untouched on failure */
    }
    ASSERT_FALSE(fedc_log_level_parse(NULL, &out));
    ASSERT_STREQ(fedc_log_level_name((fedc_log_level)17), "unknown");
}

TEST(sink_gets_messages_at_or_above_the_level) {
    captured *c = calloc(1, sizeof *c);
    ASSERT_NOT_NULL(c);
    fedc_log_set_sink(capture_sink, c);
    fedc_log_set_level(FEDC_LOG_LEVEL_INFO);
    ASSERT_EQ(fedc_log_get_level(), FEDC_LOG_LEVEL_INFO);
    fedc_log(FEDC_LOG_LEVEL_DEBUG, "hidden %d", 1);
    fedc_log(FEDC_LOG_LEVEL_INFO, "round %d of %d", 3, 10);
    fedc_log(FEDC_LOG_LEVEL_ERROR, "client %s failed\n", "f0042");
    fedc_log(FEDC_LOG_LEVEL_OFF, "not a message level");
    fedc_log_set_level(FEDC_LOG_LEVEL_OFF);
    fedc_log(FEDC_LOG_LEVEL_ERROR, "silenced");
    restore_defaults();
    ASSERT_EQ(c->count, 2);
    ASSERT_EQ(c->level[0], FEDC_LOG_LEVEL_INFO);
    ASSERT_STREQ(c->text[0], "round 3 of 10");
    ASSERT_EQ(c->level[1], FEDC_LOG_LEVEL_ERROR);
    ASSERT_STREQ(c->text[1], "client f0042 failed"); /* no trailing newline */
    captured_free(c);
}

TEST(long_messages_are_truncated) {
    captured *c = calloc(1, sizeof *c);
    ASSERT_NOT_NULL(c);
    char *big = malloc(10001);
    ASSERT_NOT_NULL(big);
    memset(big, 'y', 10000);
    big[10000] = '\0';
    fedc_log_set_sink(capture_sink, c);
    fedc_log(FEDC_LOG_LEVEL_WARN, "%s", big);
    restore_defaults();
    ASSERT_EQ(c->count, 1);
    ASSERT_EQ(strlen(c->text[0]), 4095u);
    ASSERT_EQ(strncmp(c->text[0], big, 4095), 0);
    free(big);
    captured_free(c);
}

TEST(default_sink_writes_to_stderr) {
    fedc_log_set_sink(NULL, NULL);
    fedc_log_set_level(FEDC_LOG_LEVEL_DEBUG);
    stderr_capture s;
    char buf[512];
    stderr_begin(&s);
    fedc_log(FEDC_LOG_LEVEL_WARN, "disk %d%% full", 91);
    fedc_log(FEDC_LOG_LEVEL_DEBUG, "step");
    stderr_end(&s, buf, sizeof buf);
    restore_defaults();
    ASSERT_STREQ(buf, "fedc: warn: disk 91% full\nfedc: debug: step\n");
}

TEST(environment_sets_the_initial_level) {
    const char *old = getenv("FEDC_LOG_LEVEL");
    char *saved = old ? strdup(old) : NULL;
    static const struct {
        const char *value;
        fedc_log_level want;
    } cases[] = {{"error", FEDC_LOG_LEVEL_ERROR},
                 {"DEBUG", FEDC_LOG_LEVEL_DEBUG},
                 {"Off", FEDC_LOG_LEVEL_OFF},
                 {"", FEDC_LOG_LEVEL_WARN},
                 {"verbose", FEDC_LOG_LEVEL_WARN}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv("FEDC_LOG_LEVEL", cases[i].value, 1);
        fedc__log_reset_level();
        ASSERT_EQ(fedc_log_get_level(), cases[i].want);
    }
    unsetenv("FEDC_LOG_LEVEL");
    fedc__log_reset_level();
    ASSERT_EQ(fedc_log_get_level(), FEDC_LOG_LEVEL_WARN);

    /* read once: a later change of the variable has no effect */
    setenv("FEDC_LOG_LEVEL", "error", 1);
    fedc__log_reset_level();
    fedc_log(FEDC_LOG_LEVEL_DEBUG, "reads the variable");
    setenv("FEDC_LOG_LEVEL", "debug", 1);
    ASSERT_EQ(fedc_log_get_level(), FEDC_LOG_LEVEL_ERROR);
    /* an explicit level wins over the variable, before or after it is read */
    fedc__log_reset_level();
    fedc_log_set_level(FEDC_LOG_LEVEL_INFO);
    ASSERT_EQ(fedc_log_get_level(), FEDC_LOG_LEVEL_INFO);

    if (saved)
        setenv("FEDC_LOG_LEVEL", saved, 1);
    else
        unsetenv("FEDC_LOG_LEVEL");
    free(saved);
    restore_defaults();
}

TEST(misspelt_environment_level_is_reported_once) {
    const char *old = getenv("FEDC_LOG_LEVEL");
    char *saved = old ? strdup(old) : NULL;
    captured *c = calloc(1, sizeof *c);
    ASSERT_NOT_NULL(c);
    setenv("FEDC_LOG_LEVEL", "verbose", 1);
    fedc__log_reset_level();
    fedc_log_set_sink(capture_sink, c);
    fedc_log(FEDC_LOG_LEVEL_ERROR, "first");
    fedc_log(FEDC_LOG_LEVEL_ERROR, "second");
    restore_defaults();
    if (saved)
        setenv("FEDC_LOG_LEVEL", saved, 1);
    else
        unsetenv("FEDC_LOG_LEVEL");
    free(saved);
    ASSERT_EQ(c->count, 3);
    ASSERT_EQ(c->level[0], FEDC_LOG_LEVEL_WARN);
    ASSERT_CONTAINS(c->text[0], "FEDC_LOG_LEVEL");
    ASSERT_STREQ(c->text[1], "first");
    ASSERT_STREQ(c->text[2], "second");
    captured_free(c);
}

enum { LOG_THREADS = 8, LOG_PER_THREAD = 400 };

static void *log_thread(void *arg) {
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < LOG_PER_THREAD; i++)
        fedc_log(FEDC_LOG_LEVEL_WARN, "t%d m%d %0200d end", t, i, t);
    return NULL;
}

TEST(concurrent_messages_arrive_whole) {
    captured *c = calloc(1, sizeof *c);
    ASSERT_NOT_NULL(c);
    fedc_log_set_sink(capture_sink, c);
    pthread_t th[LOG_THREADS];
    for (int t = 0; t < LOG_THREADS; t++)
        ASSERT_EQ(pthread_create(&th[t], NULL, log_thread, (void *)(intptr_t)t), 0);
    for (int t = 0; t < LOG_THREADS; t++)
        pthread_join(th[t], NULL);
    restore_defaults();
    ASSERT_EQ(c->count, LOG_THREADS * LOG_PER_THREAD);
    int next[LOG_THREADS] = {0};
    for (int k = 0; k < c->count; k++) {
        int t = -1, i = -1;
        ASSERT_EQ(sscanf(c->text[k], "t%d m%d", &t, &i), 2);
        ASSERT_GE(t, 0);
        ASSERT_LT(t, LOG_THREADS);
        ASSERT_EQ(i, next[t]++); /* one thread's messages keep their order */
        char want[300];
        snprintf(want, sizeof want, "t%d m%d %0200d end", t, i, t);
        ASSERT_STREQ(c->text[k], want);
    }
    captured_free(c);
}

static void logging_sink(void *user, fedc_log_level level, const char *message) {
    capture_sink(user, level, message);
    fedc_log(FEDC_LOG_LEVEL_WARN, "from the sink: %s", message);
}

TEST(a_sink_that_logs_does_not_deadlock) {
    captured *c = calloc(1, sizeof *c);
    ASSERT_NOT_NULL(c);
    fedc_log_set_sink(logging_sink, c);
    stderr_capture s;
    char buf[512];
    stderr_begin(&s);
    fedc_log(FEDC_LOG_LEVEL_ERROR, "outer");
    stderr_end(&s, buf, sizeof buf);
    restore_defaults();
    ASSERT_EQ(c->count, 1);
    ASSERT_STREQ(c->text[0], "outer");
    ASSERT_STREQ(buf, "fedc: warn: from the sink: outer\n");
    captured_free(c);
}
