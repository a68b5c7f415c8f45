/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Blocking work off the loop's thread.  Starting an interface may wait
 * seconds (a DHCP lease, many links); the daemon must keep serving
 * meanwhile.  One worker thread runs jobs one at a time, in the order they
 * were queued (live changes stay serialised, and so do a --confirm revert
 * and the tap step of a guest attach), with its own netlink handle
 * on the served namespace.  Finished jobs go back to the loop through an
 * eventfd, and their after() step runs there.  Without a loop everything
 * runs inline. */
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "api-internal.h"

typedef struct job {
        struct job *next;
        kn_api_req *req;
        kn_api_work_fn work;
        kn_api_after_fn after;
        kn_api_bg_after_fn bg_after; /* jobs without a request */
        void *data;
        int r;
        kn_error err;
} job;

struct kn_worker {
        kn_api *api;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        job *todo, **todo_tail; /* queued, not started */
        job *done, **done_tail; /* finished, for the loop */
        bool quit;
        int efd;
        kn_loop_watch *watch;
        /* The thread's own: a kn_netns is not shared between threads. */
        char *netns, *run_dir;
        kn_netns *ns;
        /* KVMNET_TEST_WORKER_DELAY_MS: each job waits this long first, so
         * a test can have a job queued, not yet run, while the loop goes
         * on (tests/guest/confirm-race.sh). */
        unsigned test_delay_ms;
};

static job *pop(job **head, job ***tail) {
        job *j = *head;
        if (j) {
                *head = j->next;
                if (!*head)
                        *tail = head;
                j->next = NULL;
        }
        return j;
}

static void push(job **head, job ***tail, job *j) {
        j->next = NULL;
        **tail = j;
        *tail = &j->next;
}

static int thread_netns(kn_worker *w, kn_error *err) {
        if (w->ns)
                return 0;
        kn_netns *ns = NULL;
        int r = kn_netns_open(w->netns, &ns, err);
        if (r >= 0)
                r = kn_netns_set_state_dir(ns, w->run_dir, err);
        if (r < 0) {
                kn_netns_free(ns);
                return r;
        }
        w->ns = ns;
        return 0;
}

static void *worker_main(void *userdata) {
        kn_worker *w = userdata;
        pthread_mutex_lock(&w->lock);
        for (;;) {
                while (!w->todo && !w->quit)
                        pthread_cond_wait(&w->wake, &w->lock);
                job *j = pop(&w->todo, &w->todo_tail);
                if (!j)
                        break; /* quit, and nothing left */
                pthread_mutex_unlock(&w->lock);

                if (w->test_delay_ms)
                        usleep(w->test_delay_ms * 1000);
                j->r = thread_netns(w, &j->err);
                if (j->r >= 0)
                        j->r = j->work(w->ns, j->data, &j->err);

                pthread_mutex_lock(&w->lock);
                push(&w->done, &w->done_tail, j);
                uint64_t one = 1;
                (void) !write(w->efd, &one, sizeof one);
        }
        pthread_mutex_unlock(&w->lock);
        kn_netns_free(w->ns);
        w->ns = NULL;
        return NULL;
}

static void finish(job *j) {
        if (!j->req) {
                j->bg_after(j->data, j->r, &j->err);
                free(j);
                return;
        }
        json_object *result = j->req->result;
        kn_api *api = j->req->api;
        /* What after() publishes is the request's operation's doing. */
        const char *prev = kn_api_op_enter(api, j->req->op);
        int r = j->after(j->req, j->r, result, &j->err, j->data);
        kn_api_req_finish(j->req, r < 0 ? r : 0, &j->err);
        kn_api_op_leave(api, prev);
        free(j);
}

/* Loop thread: hand the finished jobs' outcomes to their requests. */
static void on_done(int fd, uint32_t revents, void *userdata) {
        kn_worker *w = userdata;
        uint64_t n;
        (void) !read(w->efd, &n, sizeof n);
        for (;;) {
                pthread_mutex_lock(&w->lock);
                job *j = pop(&w->done, &w->done_tail);
                pthread_mutex_unlock(&w->lock);
                if (!j)
                        return;
                finish(j);
        }
}

static int worker_start(kn_api *api, kn_error *err) {
        kn_worker *w = kn_xcalloc(1, sizeof *w);
        w->api = api;
        w->todo_tail = &w->todo;
        w->done_tail = &w->done;
        w->netns = kn_xstrdup(api->netns_name);
        w->run_dir = kn_xstrdup(api->run_dir);
        const char *delay = getenv("KVMNET_TEST_WORKER_DELAY_MS");
        if (delay && atoi(delay) > 0 && atoi(delay) <= 10000)
                w->test_delay_ms = (unsigned) atoi(delay);
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->wake, NULL);
        w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        int r = w->efd < 0 ? -errno : 0;
        if (r >= 0)
                r = api->loop ? kn_loop_add_fd(api->loop, w->efd, EPOLLIN, on_done, w, &w->watch)
                              : -EOPNOTSUPP;
        if (r >= 0) {
                r = -pthread_create(&w->thread, NULL, worker_main, w);
                if (r < 0)
                        kn_loop_del(api->loop, w->watch);
        }
        if (r < 0) {
                if (w->efd >= 0)
                        close(w->efd);
                pthread_mutex_destroy(&w->lock);
                pthread_cond_destroy(&w->wake);
                free(w->netns);
                free(w->run_dir);
                free(w);
                return kn_error_set(err, -r, "cannot start the worker thread: %s", strerror(-r));
        }
        api->worker = w;
        return 0;
}

static void enqueue(kn_worker *w, job proto) {
        job *j = kn_xmalloc(sizeof *j);
        *j = proto;
        pthread_mutex_lock(&w->lock);
        push(&w->todo, &w->todo_tail, j);
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
}

int kn_api_req_offload(kn_api_req *req, kn_api_work_fn work, kn_api_after_fn after, void *data,
                       kn_error *err) {
        kn_api *api = req->api;
        int r;

        if (!kn_api_req_can_defer(req)) {
                kn_netns *ns = kn_api_netns(api, err);
                r = ns ? work(ns, data, err) : -err->code;
                return after(req, r, req->result, err, data);
        }
        if (!api->worker) {
                r = worker_start(api, err);
                if (r < 0)
                        return after(req, r, req->result, err, data);
        }
        enqueue(api->worker, (job){.req = req, .work = work, .after = after, .data = data});
        return KN_API_PENDING;
}

int kn_api_offload(kn_api *api, kn_api_work_fn work, kn_api_bg_after_fn after, void *data,
                   kn_error *err) {
        if (!api->loop) {
                kn_netns *ns = kn_api_netns(api, err);
                int r = ns ? work(ns, data, err) : -err->code;
                after(data, r, err);
                return 0;
        }
        if (!api->worker) {
                int r = worker_start(api, err);
                if (r < 0)
                        return r;
        }
        /* From a job's after() while kn_worker_free() runs: nothing would
         * run it any more; the caller does without the queue. */
        pthread_mutex_lock(&api->worker->lock);
        bool quit = api->worker->quit;
        pthread_mutex_unlock(&api->worker->lock);
        if (quit)
                return kn_error_set(err, ECANCELED, "background job: the daemon is stopping");
        enqueue(api->worker, (job){.work = work, .bg_after = after, .data = data});
        return 0;
}

/* Let the running job finish (it has changed things already and knows how
 * to undo them); the queued ones are cancelled. */
void kn_worker_free(kn_worker *w) {
        if (!w)
                return;
        pthread_mutex_lock(&w->lock);
        w->quit = true;
        job *cancelled = w->todo;
        w->todo = NULL;
        w->todo_tail = &w->todo;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);

        while (cancelled) {
                job *j = cancelled;
                cancelled = j->next;
                j->r = kn_error_set(&j->err, ECANCELED, "%s: cancelled: the daemon is stopping",
                                    j->req ? j->req->verb->name : "background job");
                finish(j);
        }
        for (job *j; (j = pop(&w->done, &w->done_tail));)
                finish(j);
        kn_loop_del(w->api->loop, w->watch);
        close(w->efd);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        free(w->netns);
        free(w->run_dir);
        free(w);
}
