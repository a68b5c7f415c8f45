/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The journal of live changes: before iface-start or iface-destroy touches
 * the kernel, STATE_DIR/journal/IFNAME[@NETNS].json is written atomically
 * (temp file, fsync, rename, fsync of the directory):
 *
 *   {"version": 1, "verb": "iface-start", "interface": "br0", "netns": "",
 *    "pid": 4242, "started": "2024-05-01T12:00:00Z",
 *    "definition": "<interface type='bridge' name='br0'>..."}
 *
 * and removed once the change is done, or undone.  A journal left behind
 * means the process died in the middle; kn_api_journal_recover() reports
 * how the live state compares with the definition, then removes it.
 * NETNS is the namespace name with every byte outside [A-Za-z0-9_.-]
 * written as %XX; the own namespace has no "@" part. */
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "api-internal.h"
#include "rootfs.h"
#include "strbuf.h"
#include "mkdir.h"

struct kn_journal {
        kn_root *root; /* the state directory */
        char *rel;
};

static char *journal_name(const char *ifname, const char *netns) {
        kn_strbuf b = {0};
        kn_strbuf_puts(&b, ifname);
        if (!isempty(netns)) {
                kn_strbuf_putc(&b, '@');
                for (const char *p = netns; *p; p++) {
                        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                            (*p >= '0' && *p <= '9') || strchr("_.-", *p))
                                kn_strbuf_putc(&b, *p);
                        else
                                kn_strbuf_printf(&b, "%%%02X", (unsigned char) *p);
                }
        }
        kn_strbuf_puts(&b, ".json");
        return kn_strbuf_steal(&b);
}

int kn_journal_begin(const char *state_dir, const char *netns, const char *verb,
                     const kn_iface *def, kn_journal **ret, kn_error *err) {
        int r = kn_mkdir_p(state_dir, 0755);
        if (r < 0)
                return kn_error_set(err, -r, "cannot create the state directory %s: %s", state_dir,
                                    strerror(-r));
        kn_root *root = NULL;
        r = kn_root_open(state_dir, &root, err);
        if (r < 0)
                return r;

        char stamp[32];
        time_t t = time(NULL);
        struct tm tm;
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        _cleanup_free_ char *xml = kn_iface_format_xml(def, KN_XML_INACTIVE);
        _cleanup_json_ json_object *o = json_object_new_object();
        json_object_object_add(o, "version", json_object_new_int(1));
        json_object_object_add(o, "verb", json_object_new_string(verb));
        json_object_object_add(o, "interface", json_object_new_string(def->name));
        json_object_object_add(o, "netns", json_object_new_string(netns ? netns : ""));
        json_object_object_add(o, "pid", json_object_new_int(getpid()));
        json_object_object_add(o, "started", json_object_new_string(stamp));
        json_object_object_add(o, "definition", json_object_new_string(xml ? xml : ""));
        size_t len;
        const char *s = json_object_to_json_string_length(
                o,
                JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
                &len);
        _cleanup_free_ char *name = journal_name(def->name, netns);
        _cleanup_free_ char *rel = kn_xasprintf("journal/%s", name);
        _cleanup_strbuf_ kn_strbuf text = {0};
        kn_strbuf_putn(&text, s, len);
        kn_strbuf_putc(&text, '\n');
        r = kn_root_write_atomic(root, rel, text.s, text.len, 0600, err);
        if (r < 0) {
                kn_error_prefix(err, "cannot write the journal");
                kn_root_free(root);
                return r;
        }
        kn_journal *j = kn_xcalloc(1, sizeof *j);
        j->root = root;
        j->rel = TAKE_PTR(rel);
        *ret = j;
        return 0;
}

void kn_journal_end(kn_journal *j) {
        if (!j)
                return;
        (void) kn_root_unlink(j->root, j->rel, NULL);
        kn_root_free(j->root);
        free(j->rel);
        free(j);
}

static const char *str_member(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* What the live state says about an interrupted operation. */
static char *compare_live(kn_api *api, const char *verb, const char *xml) {
        _cleanup_iface_ kn_iface *def = NULL, *live = NULL;
        kn_error err = {0};
        if (kn_iface_parse_xml(xml, strlen(xml), "<journal>", &def, &err) < 0)
                return kn_xasprintf("its definition cannot be read back: %s", err.message);
        kn_netns *ns = kn_api_netns(api, &err);
        if (!ns)
                return kn_xasprintf("the live state cannot be read: %s", err.message);
        int r = kn_live_read(ns, def->name, &live, &err);
        if (r == -ENODEV)
                return kn_xasprintf("%s does not exist%s", def->name,
                                    streq(verb, "iface-start") ? " (nothing to undo)" : "");
        if (r < 0)
                return kn_xasprintf("the live state cannot be read: %s", err.message);
        if (!streq(verb, "iface-start"))
                return kn_xasprintf("%s still exists: run iface-destroy %s again", def->name,
                                    def->name);
        _cleanup_free_ char *report = NULL;
        if (kn_live_verify(def, live, &report) == 0)
                return kn_xasprintf("the live state matches the definition");
        for (char *p = report; p && (p = strchr(p, '\n'));)
                *p = p[1] ? ';' : '\0';
        return kn_xasprintf("the live state differs from the definition (%s): run iface-start "
                            "%s or iface-destroy %s",
                            report, def->name, def->name);
}

int kn_api_journal_recover(kn_api *api, void (*report)(const char *message, void *userdata),
                           void *userdata) {
        if (!api->state_dir)
                return 0;
        _cleanup_free_ char *dir = kn_xasprintf("%s/journal", api->state_dir);
        _cleanup_free_ char *suffix = journal_name("", api->netns_name);
        DIR *d = opendir(dir);
        if (!d)
                return 0;
        int found = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name), slen = strlen(suffix);
                /* Only this namespace's journals; another daemon may serve
                 * another namespace from the same state directory. */
                if (de->d_name[0] == '.' || len <= slen ||
                    !streq(de->d_name + len - slen, suffix) ||
                    (isempty(api->netns_name) && strchr(de->d_name, '@')))
                        continue;
                _cleanup_free_ char *path = kn_xasprintf("%s/%s", dir, de->d_name);
                _cleanup_json_ json_object *o = json_object_from_file(path);
                json_object *pid = NULL;
                if (o && json_object_object_get_ex(o, "pid", &pid) &&
                    json_object_get_int(pid) != getpid() && kill(json_object_get_int(pid), 0) == 0)
                        continue; /* its process still runs (an offline kvmnet): not ours */
                const char *verb = o ? str_member(o, "verb") : NULL;
                const char *iface = o ? str_member(o, "interface") : NULL;
                const char *xml = o ? str_member(o, "definition") : NULL;
                const char *started = o ? str_member(o, "started") : NULL;
                _cleanup_free_ char *state =
                        verb && xml ? compare_live(api, verb, xml) : kn_xstrdup("unreadable");
                _cleanup_free_ char *msg = kn_xasprintf(
                        "journal %s: %s of %s%s was interrupted (started %s by pid %d): %s", path,
                        verb ? verb : "?", iface ? iface : "?", kn_api_in_netns(api),
                        started ? started : "?", pid ? json_object_get_int(pid) : 0, state);
                if (report)
                        report(msg, userdata);
                unlink(path);
                found++;
        }
        closedir(d);
        return found;
}
