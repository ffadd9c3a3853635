/*
 * refrace-client C harness: the ownership rules of hiredis's async API, checked on the real
 * library (Debian's libhiredis) under AddressSanitizer / LeakSanitizer.
 *
 * Built and run by client/tests/hiredis_c.rs:
 *   cc -std=c11 -g -O0 -fsanitize=address -fno-omit-frame-pointer harness.c -lhiredis
 *   ./harness <sequence> <port>        (a redis-server listens on 127.0.0.1:<port>)
 *
 * Each sequence runs on a thread of its own, so that once it returns nothing on a live stack
 * still points at what it allocated (LeakSanitizer treats live stacks as roots). The event loop
 * is a few lines of poll(2) driving redisAsyncHandleRead / redisAsyncHandleWrite through the
 * context's ev hooks (no event library needed).
 *
 * Fixed sequences must exit 0 with no sanitizer report; faulty ones must make ASan or LSan
 * report the bug the model names. Every line the harness prints starts with "harness:".
 */
#define _POSIX_C_SOURCE 200809L
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <sanitizer/asan_interface.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int port;

/* ---- a poll(2) event loop for one context ------------------------------------------------ */

struct loop {
    redisAsyncContext *ac; /* NULL once hiredis called the cleanup hook (context going away) */
    int fd;
    int want_read, want_write;
    int cleaned_up;
};

static void ev_add_read(void *p) { ((struct loop *)p)->want_read = 1; }
static void ev_del_read(void *p) { ((struct loop *)p)->want_read = 0; }
static void ev_add_write(void *p) { ((struct loop *)p)->want_write = 1; }
static void ev_del_write(void *p) { ((struct loop *)p)->want_write = 0; }
static void ev_cleanup(void *p) {
    struct loop *l = p;
    l->want_read = l->want_write = 0;
    l->cleaned_up = 1;
    l->ac = NULL;
}

static void attach(struct loop *l, redisAsyncContext *ac) {
    memset(l, 0, sizeof(*l));
    l->ac = ac;
    l->fd = ac->c.fd;
    ac->ev.data = l;
    ac->ev.addRead = ev_add_read;
    ac->ev.delRead = ev_del_read;
    ac->ev.addWrite = ev_add_write;
    ac->ev.delWrite = ev_del_write;
    ac->ev.cleanup = ev_cleanup;
}

/* Named wrappers, so that ASan's stacks (which cannot unwind through the uninstrumented
 * libhiredis) show which hiredis entry point freed a block. */
__attribute__((noinline)) static void hiredis_handle_read(redisAsyncContext *ac) {
    redisAsyncHandleRead(ac);
}
__attribute__((noinline)) static void hiredis_handle_write(redisAsyncContext *ac) {
    redisAsyncHandleWrite(ac);
}

/* Run until *stop is set or the context is gone (hiredis called cleanup); at most `rounds`. */
static void run(struct loop *l, const int *stop, int rounds) {
    while (rounds-- > 0 && l->ac != NULL && !(stop && *stop)) {
        struct pollfd p = {l->fd, 0, 0};
        if (l->want_read) p.events |= POLLIN;
        if (l->want_write) p.events |= POLLOUT;
        if (p.events == 0) break;
        if (poll(&p, 1, 2000) <= 0) {
            printf("harness: poll timed out\n");
            break;
        }
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) hiredis_handle_read(l->ac);
        if (l->ac != NULL && (p.revents & POLLOUT)) hiredis_handle_write(l->ac);
    }
}

/* ---- callbacks --------------------------------------------------------------------------- */

static int connected, connect_failed, disconnected;

static void on_connect(const redisAsyncContext *ac, int status) {
    (void)ac;
    if (status == REDIS_OK) connected = 1;
    else connect_failed = 1;
    printf("harness: connect callback status=%d\n", status);
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
    (void)ac;
    disconnected = 1;
    printf("harness: disconnect callback status=%d\n", status);
}

/* What redis-plus-plus passes as privdata: an event that points at its connection object. */
struct connection { int state; char pad[60]; };
struct event { struct connection *conn; char *reply_copy; int done; };

static int replies_seen, replies_target = -1, replies_done;

static void on_reply(redisAsyncContext *ac, void *r, void *privdata) {
    (void)ac;
    struct event *ev = privdata;
    redisReply *reply = r;
    /* r++'s _reply_callback: a NULL reply makes it ask the connection for its error. */
    int state = ev->conn->state;
    if (reply == NULL) {
        printf("harness: callback with NULL reply (connection state %d)\n", state);
    } else if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS) {
        ev->reply_copy = strndup(reply->str, reply->len);
    }
    replies_seen++;
    if (replies_seen == replies_target) replies_done = 1;
    free(ev->reply_copy);
    free(ev); /* the callback owns the event: delete event */
}

static redisAsyncContext *connect_ctx(struct loop *l) {
    redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", port);
    if (ac == NULL || ac->err) {
        printf("harness: connect failed: %s\n", ac ? ac->errstr : "out of memory");
        exit(2);
    }
    attach(l, ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    return ac;
}

static struct event *new_event(struct connection *conn) {
    struct event *ev = calloc(1, sizeof(*ev));
    ev->conn = conn;
    return ev;
}

/* Ask ASan what the context's address is now: a block freed by hiredis is reported with the
 * stack that freed it. Prints "harness: context freed: yes|no". */
static void describe_context(redisAsyncContext *ac) {
    int freed = __asan_address_is_poisoned(ac);
    printf("harness: context freed: %s\n", freed ? "yes" : "no");
    if (freed) __asan_describe_address(ac);
}

/* ---- the sequences ----------------------------------------------------------------------- */

/* Rule: the command buffer may be released as soon as redisAsyncFormattedCommand returns
 * (hiredis copied it into its output buffer). The buffer is scribbled over and freed before a
 * byte was written; the server must still store the original bytes. */
static int seq_copy_then_free(void) {
    struct loop l;
    struct connection *conn = calloc(1, sizeof(*conn));
    redisAsyncContext *ac = connect_ctx(&l);
    char payload[4096];
    memset(payload, 'v', sizeof(payload));
    char *cmd = NULL;
    int len = redisFormatCommand(&cmd, "SET refrace:client:k %b", payload, sizeof(payload));
    if (redisAsyncFormattedCommand(ac, on_reply, new_event(conn), cmd, (size_t)len) != REDIS_OK)
        return 1;
    memset(cmd, 'X', (size_t)len);
    free(cmd); /* released before the loop ran: hiredis must not need it */
    char *get = NULL;
    int glen = redisFormatCommand(&get, "GET refrace:client:k");
    struct event *gev = new_event(conn);
    redisAsyncFormattedCommand(ac, on_reply, gev, get, (size_t)glen);
    free(get);
    replies_seen = 0;
    replies_target = 2;
    run(&l, &replies_done, 50);
    (void)gev;
    int ok = replies_seen >= 2;
    printf("harness: %d replies after freeing the formatted commands\n", replies_seen);
    redisAsyncDisconnect(ac); /* nothing pending: frees the context now */
    run(&l, NULL, 10);
    free(conn);
    return ok ? 0 : 1;
}

/* The GET must return the payload: checked with a sync connection, outside the async path. */
static int check_stored(void) {
    redisContext *c = redisConnect("127.0.0.1", port);
    if (c == NULL || c->err) return 1;
    redisReply *r = redisCommand(c, "GET refrace:client:k");
    int ok = r && r->type == REDIS_REPLY_STRING && r->len == 4096 && r->str[0] == 'v' &&
             r->str[4095] == 'v';
    printf("harness: stored value %s\n", ok ? "is the original payload" : "differs");
    freeReplyObject(r);
    r = redisCommand(c, "DEL refrace:client:k");
    freeReplyObject(r);
    redisFree(c);
    return ok ? 0 : 1;
}

/* Rule: after the disconnect callback hiredis frees the context itself. `with_pending` leaves a
 * command unanswered (the server closes first: QUIT is answered, the PING behind it is not). */
static int seq_server_close(int free_again) {
    struct loop l;
    struct connection *conn = calloc(1, sizeof(*conn));
    redisAsyncContext *ac = connect_ctx(&l);
    redisAsyncCommand(ac, on_reply, new_event(conn), "QUIT");
    redisAsyncCommand(ac, on_reply, new_event(conn), "PING");
    run(&l, NULL, 50);
    printf("harness: disconnect callback %s, cleanup hook %s\n", disconnected ? "ran" : "did not run",
           l.cleaned_up ? "ran" : "did not run");
    describe_context(ac);
    if (free_again) {
        printf("harness: fault free-after-disconnect-callback: redisAsyncFree on the context\n");
        fflush(stdout);
        redisAsyncFree(ac); /* the context was freed by hiredis after the callback */
    }
    free(conn);
    return disconnected ? 0 : 1;
}

/* Same rule on a client-initiated clean disconnect. */
static int seq_client_disconnect(int free_again) {
    struct loop l;
    struct connection *conn = calloc(1, sizeof(*conn));
    redisAsyncContext *ac = connect_ctx(&l);
    redisAsyncCommand(ac, on_reply, new_event(conn), "PING");
    redisAsyncDisconnect(ac); /* deferred until the PING's reply was delivered */
    run(&l, NULL, 50);
    printf("harness: disconnect callback %s, cleanup hook %s\n", disconnected ? "ran" : "did not run",
           l.cleaned_up ? "ran" : "did not run");
    describe_context(ac);
    if (free_again) {
        printf("harness: fault free-after-disconnect-callback: redisAsyncFree on the context\n");
        fflush(stdout);
        redisAsyncFree(ac);
    }
    free(conn);
    return disconnected ? 0 : 1;
}

/* Rule: a context returned with err set is the caller's to free; one whose connect fails later is
 * freed by hiredis after the connect callback. Three reconnect attempts of each kind: a Unix
 * socket path that does not exist fails inside redisAsyncConnectUnix (err set at once), a TCP
 * port nobody listens on fails in the connect callback. `fault` 1 drops the contexts that failed
 * at once (leak-context-on-connect-failure); 2 also frees the ones hiredis freed after the connect
 * callback (free-after-disconnect-callback, the opposite danger). */
static int seq_connect_refused(int fault) {
    for (int i = 0; i < 3; i++) {
        redisAsyncContext *ac = redisAsyncConnectUnix("/nonexistent/refrace-client.sock");
        if (ac == NULL) return 1;
        printf("harness: attempt %d: unix connect err=%d at once (%s)\n", i + 1, ac->err,
               ac->errstr);
        if (!ac->err) return 1;
        if (fault != 1) redisAsyncFree(ac);
    }
    for (int i = 0; i < 3; i++) {
        redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", port);
        if (ac == NULL) return 1;
        if (ac->err) {
            printf("harness: attempt %d: tcp connect failed at once: %s\n", i + 1, ac->errstr);
            if (fault != 1) redisAsyncFree(ac);
            continue;
        }
        struct loop l;
        attach(&l, ac);
        redisAsyncSetConnectCallback(ac, on_connect);
        connect_failed = 0;
        run(&l, NULL, 10);
        printf("harness: attempt %d: tcp connect failed in the callback: %s; cleanup hook %s\n",
               i + 1, connect_failed ? "yes" : "no", l.cleaned_up ? "ran" : "did not run");
        describe_context(ac);
        if (fault == 2) {
            printf("harness: fault free-after-disconnect-callback: redisAsyncFree after the "
                   "failed connect\n");
            redisAsyncFree(ac);
        }
    }
    return 0;
}

/* Rule: privdata must outlive the callback; destroying the client's objects first is a use after
 * free when hiredis runs the pending callbacks (with a NULL reply) as the context is freed. */
static int seq_destroy_pending(int destroy_first) {
    struct loop l;
    struct connection *conn = calloc(1, sizeof(*conn));
    redisAsyncContext *ac = connect_ctx(&l);
    run(&l, &connected, 10); /* connected, nothing sent yet */
    redisAsyncCommand(ac, on_reply, new_event(conn), "PING");
    if (destroy_first) {
        printf("harness: fault destroy-with-callback-pending: connection freed first\n");
        fflush(stdout);
        free(conn);
        redisAsyncFree(ac); /* runs the PING's callback with NULL: reads conn */
    } else {
        redisAsyncFree(ac); /* callbacks run, events freed */
        free(conn);
    }
    return 0;
}

/* Rule (#443): the loop must tear the connection down before it stops. `stop_first` abandons the
 * context with a command in flight (fault stop-loop-before-callbacks). */
static int seq_stop_loop(int stop_first) {
    struct loop l;
    struct connection *conn = calloc(1, sizeof(*conn));
    redisAsyncContext *ac = connect_ctx(&l);
    run(&l, &connected, 10);
    redisAsyncCommand(ac, on_reply, new_event(conn), "PING");
    if (stop_first) {
        printf("harness: fault stop-loop-before-callbacks: loop stopped, context abandoned\n");
    } else {
        redisAsyncDisconnect(ac); /* waits for the PING's reply */
        run(&l, NULL, 50);
        free(conn);
    }
    return 0;
}

/* ---- main ------------------------------------------------------------------------------- */

struct job { const char *name; int rc; };

static void *runner(void *p) {
    struct job *j = p;
    const char *n = j->name;
    if (!strcmp(n, "copy-then-free")) j->rc = seq_copy_then_free() || check_stored();
    else if (!strcmp(n, "server-close")) j->rc = seq_server_close(0);
    else if (!strcmp(n, "server-close+free-after-disconnect-callback")) j->rc = seq_server_close(1);
    else if (!strcmp(n, "client-disconnect")) j->rc = seq_client_disconnect(0);
    else if (!strcmp(n, "client-disconnect+free-after-disconnect-callback"))
        j->rc = seq_client_disconnect(1);
    else if (!strcmp(n, "connect-refused")) j->rc = seq_connect_refused(0);
    else if (!strcmp(n, "connect-refused+leak-context-on-connect-failure"))
        j->rc = seq_connect_refused(1);
    else if (!strcmp(n, "connect-refused+free-after-disconnect-callback"))
        j->rc = seq_connect_refused(2);
    else if (!strcmp(n, "destroy")) j->rc = seq_destroy_pending(0);
    else if (!strcmp(n, "destroy+destroy-with-callback-pending")) j->rc = seq_destroy_pending(1);
    else if (!strcmp(n, "stop-loop")) j->rc = seq_stop_loop(0);
    else if (!strcmp(n, "stop-loop+stop-loop-before-callbacks")) j->rc = seq_stop_loop(1);
    else {
        printf("harness: unknown sequence %s\n", n);
        j->rc = 64;
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s <sequence> <port>\n", argv[0]);
        return 64;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    port = atoi(argv[2]);
    struct job j = {argv[1], 0};
    pthread_t t;
    pthread_create(&t, NULL, runner, &j);
    pthread_join(t, NULL);
    printf("harness: %s done, status %d\n", j.name, j.rc);
    return j.rc;
}
