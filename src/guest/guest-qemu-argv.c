/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU's command line for a guest definition (guest-def.c reads and
 * writes the definition itself). */
#include <inttypes.h>

#include "kvmnet/guest.h"
#include "macro.h"

/* ---- QEMU's command line ---- */

void kn_guest_argv_free(char **v) {
        for (size_t k = 0; v && v[k]; k++)
                free(v[k]);
        free(v);
}

static void push(char ***v, size_t *n, size_t *alloc, char *s) {
        GREEDY_REALLOC(*v, *alloc, *n + 2);
        (*v)[(*n)++] = s;
        (*v)[*n] = NULL;
}

char **kn_guest_qemu_argv(const kn_guest_def *d, const char *qmp_path, kn_error *err) {
        char **v = NULL;
        size_t n = 0, alloc = 0;
        push(&v, &n, &alloc, kn_xstrdup(d->emulator ? d->emulator : "qemu-system-x86_64"));
        push(&v, &n, &alloc, kn_xstrdup("-name"));
        push(&v, &n, &alloc, kn_xasprintf("guest=%s", d->name));
        push(&v, &n, &alloc, kn_xstrdup("-accel"));
        /* Several TCG vCPUs on one host thread: the small test hosts have
         * two cores and MTTCG gains nothing there. */
        push(&v, &n, &alloc,
             kn_xstrdup(d->kvm         ? "kvm"
                        : d->vcpus > 1 ? "tcg,thread=single"
                                       : "tcg"));
        push(&v, &n, &alloc, kn_xstrdup("-machine"));
        push(&v, &n, &alloc, kn_xstrdup(d->machine));
        push(&v, &n, &alloc, kn_xstrdup("-m"));
        push(&v, &n, &alloc, kn_xasprintf("%" PRIu64 "k", d->memory_kib));
        push(&v, &n, &alloc, kn_xstrdup("-smp"));
        push(&v, &n, &alloc, kn_xasprintf("%u", d->vcpus));
        const char *fixed[] = {"-nodefaults", "-no-user-config", "-display", "none", "-nic", "none",
                               "-S"};
        for (size_t k = 0; k < ELEMENTSOF(fixed); k++)
                push(&v, &n, &alloc, kn_xstrdup(fixed[k]));
        push(&v, &n, &alloc, kn_xstrdup("-qmp"));
        push(&v, &n, &alloc, kn_xasprintf("unix:%s,server=on,wait=off", qmp_path));
        if (d->kernel) {
                push(&v, &n, &alloc, kn_xstrdup("-kernel"));
                push(&v, &n, &alloc, kn_xstrdup(d->kernel));
        }
        if (d->initrd) {
                push(&v, &n, &alloc, kn_xstrdup("-initrd"));
                push(&v, &n, &alloc, kn_xstrdup(d->initrd));
        }
        if (d->cmdline) {
                push(&v, &n, &alloc, kn_xstrdup("-append"));
                push(&v, &n, &alloc, kn_xstrdup(d->cmdline));
        }
        if (d->disk) {
                if (strchr(d->disk, ',')) {
                        kn_guest_argv_free(v);
                        kn_error_set(err, EINVAL, "guest %s: disk path '%s' contains ','", d->name,
                                     d->disk);
                        return NULL;
                }
                push(&v, &n, &alloc, kn_xstrdup("-drive"));
                push(&v, &n, &alloc, kn_xasprintf("file=%s,if=virtio,format=raw", d->disk));
        }
        if (d->serial_log) {
                if (strchr(d->serial_log, ',')) {
                        kn_guest_argv_free(v);
                        kn_error_set(err, EINVAL, "guest %s: serial path '%s' contains ','",
                                     d->name, d->serial_log);
                        return NULL;
                }
                push(&v, &n, &alloc, kn_xstrdup("-chardev"));
                push(&v, &n, &alloc, kn_xasprintf("file,id=kn-serial0,path=%s", d->serial_log));
                push(&v, &n, &alloc, kn_xstrdup("-serial"));
                push(&v, &n, &alloc, kn_xstrdup("chardev:kn-serial0"));
        }
        if (streq(d->machine, "q35"))
                for (unsigned k = 0; k < d->root_ports; k++) {
                        push(&v, &n, &alloc, kn_xstrdup("-device"));
                        push(&v, &n, &alloc,
                             kn_xasprintf("pcie-root-port,id=kn-rp%u,bus=pcie.0,chassis=%u", k,
                                          k + 1));
                }
        for (size_t k = 0; k < d->n_qemu_args; k++)
                push(&v, &n, &alloc, kn_xstrdup(d->qemu_args[k]));
        return v;
}
