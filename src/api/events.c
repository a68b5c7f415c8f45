/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Events: the event-subscribe / event-unsubscribe verbs, publishing to the
 * subscribed sessions, and the live source -- netlink multicast (links,
 * addresses, routes) followed through the loop while at least one session
 * wants one of those types. */
#include <inttypes.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <time.h>

#include "api-internal.h"
#include "kvmnet/live-events.h"

struct kn_api_events {
        kn_live_events *ev;
        kn_loop_watch *watch;
};

static const char *const live_types[] = {"link", "address", "route", NULL};

/* ---- Publishing ---- */

static void emit(kn_api *api, uint64_t mask, const char *event_json) {
        for (kn_api_session *s = api->sessions, *next; s; s = next) {
                next = s->next;
                if ((s->subscribed & mask) && s->on_event)
                        s->on_event(event_json, s->userdata);
        }
}

void kn_api_publish_json(kn_api *api, const char *type, const char *event_json) {
        int k = kn_api_event_type_index(type);
        if (k >= 0)
                emit(api, UINT64_C(1) << k, event_json);
}

/* When it happened, not when a client prints it: microseconds since the
 * epoch. */
static int64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Every event gets "timestamp"; one published while an operation runs
 * (kn_api_op_enter) gets its "op", unless it names one itself ("op": null:
 * none, whatever runs now). */
void kn_api_publish(kn_api *api, json_object *event) {
        json_object *type;
        if (!json_object_object_get_ex(event, "event", &type) ||
            !json_object_is_type(type, json_type_string))
                return;
        if (!json_object_object_get_ex(event, "timestamp", NULL))
                json_object_object_add(event, "timestamp", json_object_new_int64(now_usec()));
        json_object *op;
        if (!json_object_object_get_ex(event, "op", &op)) {
                if (api->op)
                        json_object_object_add(event, "op", json_object_new_string(api->op));
        } else if (!op)
                json_object_object_del(event, "op");
        kn_api_publish_json(
                api, json_object_get_string(type),
                json_object_to_json_string_ext(event, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
}

void kn_api_publish_action(kn_api *api, const char *type, const char *action, ...) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "event", json_object_new_string(type));
        json_object_object_add(e, "action", json_object_new_string(action));
        va_list ap;
        va_start(ap, action);
        for (const char *key; (key = va_arg(ap, const char *));) {
                const char *value = va_arg(ap, const char *);
                if (value)
                        json_object_object_add(e, key, json_object_new_string(value));
        }
        va_end(ap);
        kn_api_publish(api, e);
        json_object_put(e);
}

static uint64_t types_mask(const char *const *types) {
        uint64_t mask = 0;
        for (size_t k = 0; types && types[k]; k++)
                mask |= UINT64_C(1) << kn_api_event_type_index(types[k]);
        return mask;
}

/* ---- The live source ---- */

/* The live layer's JSON object with "timestamp" added as its last member.
 * The kernel's events are nobody's operation: no "op". */
static char *add_timestamp(const char *json) {
        size_t n = strlen(json);
        while (n > 0 && json[n - 1] != '}')
                n--;
        if (n == 0)
                return kn_xstrdup(json);
        bool empty = true;
        for (size_t k = 0; k + 1 < n && empty; k++)
                empty = strchr("{ \t\n", json[k]) != NULL;
        return kn_xasprintf("%.*s%s\"timestamp\":%" PRId64 "}", (int) (n - 1), json,
                            empty ? "" : ",", now_usec());
}

static void on_live_event(const kn_live_event *e, void *userdata) {
        kn_api *api = userdata;
        _cleanup_free_ char *raw = kn_live_event_to_json(e);
        _cleanup_free_ char *json = add_timestamp(raw);
        static const char *const names[] = {
                [KN_LIVE_EVENT_LINK] = "link",
                [KN_LIVE_EVENT_ADDR] = "address",
                [KN_LIVE_EVENT_ROUTE] = "route",
        };
        /* The kernel dropped events: everyone following any of them must
         * know to re-read. */
        if (e->type == KN_LIVE_EVENT_OVERFLOW)
                emit(api, types_mask(live_types), json);
        else if ((size_t) e->type < ELEMENTSOF(names))
                kn_api_publish_json(api, names[e->type], json);
}

static void on_live_readable(int fd, uint32_t revents, void *userdata) {
        kn_api *api = userdata;
        if (api->events)
                (void) kn_live_events_process(api->events->ev);
}

void kn_api_live_events_stop(kn_api *api) {
        kn_api_events *e = api->events;
        if (!e)
                return;
        kn_loop_del(api->loop, e->watch);
        kn_live_events_free(e->ev);
        free(e);
        api->events = NULL;
}

static int live_events_start(kn_api *api, kn_error *err) {
        kn_error local = {0};
        if (!err)
                err = &local;
        kn_netns *ns = kn_api_netns(api, err);
        if (!ns)
                return -err->code;
        kn_api_events *e = kn_xcalloc(1, sizeof *e);
        int r = kn_live_events_open(ns, on_live_event, api, &e->ev, err);
        if (r >= 0) {
                r = api->loop ? kn_loop_add_fd(api->loop, kn_live_events_fd(e->ev), EPOLLIN,
                                               on_live_readable, api, &e->watch)
                              : -EOPNOTSUPP;
                if (r < 0)
                        kn_error_set(err, -r, "cannot follow netlink events: %s", strerror(-r));
        }
        if (r < 0) {
                kn_live_events_free(e->ev);
                free(e);
                return r;
        }
        api->events = e;
        return 0;
}

static int live_subscriptions_changed(kn_api *api, kn_error *err) {
        bool want = kn_api_module_wanted(api, &kn_api_module_events);
        if (want && !api->events)
                return live_events_start(api, err);
        if (!want)
                kn_api_live_events_stop(api);
        return 0;
}

/* ---- Verbs ---- */

/* The "events" argument as a mask; absent or null: every type. */
static int arg_types(const char *verb, json_object *args, uint64_t *ret, kn_error *err) {
        size_t n;
        const char *const *types = kn_api_event_types(&n);
        json_object *o;
        if (!json_object_object_get_ex(args, "events", &o) ||
            json_object_is_type(o, json_type_null)) {
                *ret = n == 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
                return 0;
        }
        if (!json_object_is_type(o, json_type_array))
                return kn_error_set(err, EINVAL,
                                    "%s: argument 'events' must be an array of event types", verb);
        uint64_t mask = 0;
        for (size_t k = 0; k < json_object_array_length(o); k++) {
                json_object *t = json_object_array_get_idx(o, k);
                int i = json_object_is_type(t, json_type_string)
                                ? kn_api_event_type_index(json_object_get_string(t))
                                : -1;
                if (i < 0) {
                        char valid[256] = "";
                        for (size_t j = 0; j < n; j++)
                                snprintf(valid + strlen(valid), sizeof valid - strlen(valid),
                                         "%s%s", j ? ", " : "", types[j]);
                        return kn_error_set(err, EINVAL,
                                            "%s: unknown event type '%.64s' (valid: %s)", verb,
                                            json_object_get_string(t), valid);
                }
                mask |= UINT64_C(1) << i;
        }
        *ret = mask;
        return 0;
}

static void put_subscribed(json_object *result, const kn_api_session *s) {
        size_t n;
        const char *const *types = kn_api_event_types(&n);
        json_object *list = json_object_new_array();
        for (size_t k = 0; k < n; k++)
                if (s->subscribed & (UINT64_C(1) << k))
                        json_object_array_add(list, json_object_new_string(types[k]));
        json_object_object_add(result, "events", list);
}

static int run_event_subscribe(kn_api_req *req, json_object *args, json_object *result,
                               kn_error *err) {
        kn_api_session *s = req->session;
        uint64_t mask;
        int r = arg_types("event-subscribe", args, &mask, err);
        if (r < 0)
                return r;
        uint64_t old = s->subscribed;
        s->subscribed |= mask;
        r = kn_api_subscriptions_apply(req->api, err);
        if (r < 0) {
                s->subscribed = old;
                (void) kn_api_subscriptions_apply(req->api, NULL);
                kn_error_prefix(err, "event-subscribe");
                return r;
        }
        put_subscribed(result, s);
        return 0;
}

static int run_event_unsubscribe(kn_api_req *req, json_object *args, json_object *result,
                                 kn_error *err) {
        kn_api_session *s = req->session;
        uint64_t mask;
        int r = arg_types("event-unsubscribe", args, &mask, err);
        if (r < 0)
                return r;
        s->subscribed &= ~mask;
        (void) kn_api_subscriptions_apply(req->api, NULL);
        put_subscribed(result, s);
        return 0;
}

static const char *const args_events[] = {"events", NULL};

static const kn_api_verb event_verbs[] = {
        {"event-subscribe", KN_VERB_SESSION, args_events, run_event_subscribe},
        {"event-unsubscribe", KN_VERB_SESSION, args_events, run_event_unsubscribe},
};

const kn_api_module kn_api_module_events = {
        .name = "events",
        .verbs = event_verbs,
        .n_verbs = ELEMENTSOF(event_verbs),
        .event_types = live_types,
        .subscriptions_changed = live_subscriptions_changed,
};
