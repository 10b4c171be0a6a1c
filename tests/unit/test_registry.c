/* tests/unit/test_registry.c - daemon/registry.c over a temporary repository.
 *
 * Owns: checks that a scan serves both layouts (NAME.tflite as version 1,
 * NAME/VERSION/model.tflite with numeric folders, the newest by default, at
 * most DM_MAX_VERSIONS), reads model.conf (version policy, pin_io), ignores
 * non-numeric folders, hidden and
 * stray files, skips bad names, keeps loading past a bad file (last_error,
 * one log line), gives explicit versions and clear messages for missing
 * ones; that a rescan reloads only changed files and retires the old
 * version; that unload drops the versions while a holder keeps using its
 * own, survives a rescan, and load brings the model back.
 * The models are the demo digit classifier (tools/digits.c). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "lease.h"
#include "registry.h"
#include "registry_sync.h"
#include "opgen.h"
#include "digits.h"
#include "tflite_writer.h"

typedef struct fixture {
    char dir[64];
    uint8_t *model;
    size_t size;
    dm_config cfg;
    dm_registry *reg;
} fixture;

/* DIR/REL with its parent folders created. */
static void put_file(const fixture *f, const char *rel, const void *data, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->dir, rel);
    for (char *p = path + strlen(f->dir) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    assert_int_equal(tfw_save(path, data, size), 0);
}

static void put_model(const fixture *f, const char *rel)
{
    put_file(f, rel, f->model, f->size);
}

static void put_garbage(const fixture *f, const char *rel)
{
    static const char junk[] = "this is not a flatbuffer, and not a model either";
    put_file(f, rel, junk, sizeof junk);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/edged-test-registry-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(digits_model(&f->model, &f->size), 0);
    put_model(f, "digits.tflite");
    put_model(f, "multi/1/model.tflite");
    put_model(f, "multi/3/model.tflite");
    put_model(f, "multi/20/model.tflite");
    put_model(f, "multi/007/model.tflite"); /* leading zero: not a version */
    static const char conf[] = "# every version\n[model]\nversion_policy = all\n";
    put_file(f, "multi/model.conf", conf, sizeof conf - 1);
    put_model(f, "multi/notes/model.tflite");
    put_garbage(f, "broken.tflite");
    put_garbage(f, "mixed/2/model.tflite");
    put_model(f, "mixed/1/model.tflite");
    put_model(f, "bad name.tflite");
    put_model(f, "x123456789x123456789x123456789x123456789x123456789x123456789xxxxx.tflite");
    put_model(f, ".hidden.tflite");
    put_file(f, "README.txt", "models\n", 7);
    char empty[128];
    snprintf(empty, sizeof empty, "%s/empty", f->dir);
    mkdir(empty, 0755);
    dm_config_defaults(&f->cfg);
    snprintf(f->cfg.models_dir, sizeof f->cfg.models_dir, "%s", f->dir);
    f->reg = dm_registry_new(&f->cfg);
    assert_non_null(f->reg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dm_registry_free(f->reg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f->model);
    free(f);
    return 0;
}

static int collect(dm_entry *e, void *arg)
{
    char *names = arg;
    strcat(names, dm_entry_name(e));
    strcat(names, " ");
    return 0;
}

static void test_scan_layouts(void **state)
{
    fixture *f = *state;
    assert_int_equal(dm_registry_scan(f->reg), 2); /* broken, mixed */
    char names[512] = "";
    dm_registry_foreach(f->reg, collect, names);
    assert_string_equal(names, "broken digits mixed multi ");

    char err[512];
    dm_version *v = dm_registry_get(f->reg, "digits", -1, err, sizeof err);
    assert_non_null(v);
    assert_int_equal(v->version, 1);
    assert_string_equal(v->name, "digits");
    assert_non_null(strstr(v->path, "/digits.tflite"));
    assert_int_equal(edge_model_input_count(v->model), 1);
    dm_version_unref(v);

    v = dm_registry_get(f->reg, "multi", -1, err, sizeof err);
    assert_non_null(v);
    assert_int_equal(v->version, 20); /* newest by default */
    dm_entry *e = v->entry;
    dm_version_unref(v);
    dm_version *all[DM_MAX_VERSIONS];
    assert_int_equal(dm_entry_versions(e, all, DM_MAX_VERSIONS), 3);
    assert_int_equal(all[0]->version, 20);
    assert_int_equal(all[1]->version, 3);
    assert_int_equal(all[2]->version, 1);
    assert_true(e->loaded);
    assert_string_equal(dm_entry_last_error(e), "");

    v = dm_registry_get(f->reg, "multi", 3, err, sizeof err);
    assert_non_null(v);
    assert_int_equal(v->version, 3);
    assert_non_null(strstr(v->path, "/multi/3/model.tflite"));
    dm_version_unref(v);

    assert_null(dm_registry_get(f->reg, "multi", 2, err, sizeof err));
    assert_string_equal(err, "model 'multi' has no version 2 (loaded: 20, 3, 1)");
    assert_null(dm_registry_get(f->reg, "nope", -1, err, sizeof err));
    assert_string_equal(err, "unknown model 'nope'");
}

static void test_bad_files(void **state)
{
    fixture *f = *state;
    dm_registry_scan(f->reg);
    char err[512];
    /* A file that fails leaves an entry that says why. */
    assert_null(dm_registry_get(f->reg, "broken", -1, err, sizeof err));
    assert_non_null(strstr(err, "model 'broken' is not loaded: version 1: "));
    assert_non_null(strstr(err, "/broken.tflite"));
    /* One bad version, one good one: the good one serves. */
    dm_version *v = dm_registry_get(f->reg, "mixed", -1, err, sizeof err);
    assert_non_null(v);
    assert_int_equal(v->version, 1);
    assert_non_null(strstr(dm_entry_last_error(v->entry), "version 2: "));
    dm_version_unref(v);
    /* Bad names and hidden files get no entry. */
    assert_null(dm_registry_get(f->reg, "bad name", -1, err, sizeof err));
    assert_string_equal(err, "unknown model 'bad name'");
    assert_null(dm_registry_get(f->reg, "hidden", -1, err, sizeof err));
    assert_null(dm_registry_get(f->reg, ".hidden", -1, err, sizeof err));
    assert_null(dm_registry_get(f->reg, "empty", -1, err, sizeof err));
    assert_string_equal(err, "unknown model 'empty'");
}

static void test_rescan_changed(void **state)
{
    fixture *f = *state;
    dm_registry_scan(f->reg);
    char err[512];
    dm_version *old3 = dm_registry_get(f->reg, "multi", 3, err, sizeof err);
    dm_version *d1 = dm_registry_get(f->reg, "digits", -1, err, sizeof err);
    assert_non_null(old3);
    assert_non_null(d1);
    /* Nothing changed: nothing reloads. */
    assert_int_equal(dm_registry_scan(f->reg), 2);
    dm_version *again = dm_registry_get(f->reg, "digits", -1, err, sizeof err);
    assert_true(again == d1);
    dm_version_unref(again);
    /* Replace version 3 (a new file renamed into place), add version 4 and a model. */
    put_model(f, "multi/3/model.tflite.new");
    char from[512], to[512];
    snprintf(from, sizeof from, "%s/multi/3/model.tflite.new", f->dir);
    snprintf(to, sizeof to, "%s/multi/3/model.tflite", f->dir);
    assert_int_equal(rename(from, to), 0);
    put_model(f, "multi/4/model.tflite");
    put_model(f, "late.tflite");
    assert_int_equal(dm_registry_scan(f->reg), 2);
    dm_version *new3 = dm_registry_get(f->reg, "multi", 3, err, sizeof err);
    assert_non_null(new3);
    assert_true(new3 != old3);
    assert_true(new3->uid != old3->uid);
    assert_true(atomic_load(&old3->retired));
    assert_false(atomic_load(&new3->retired));
    dm_version *v4 = dm_registry_get(f->reg, "multi", 4, err, sizeof err);
    assert_non_null(v4);
    dm_version *late = dm_registry_get(f->reg, "late", -1, err, sizeof err);
    assert_non_null(late);
    /* The retired version still works for whoever holds it. */
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(old3->model, &it, NULL), 0);
    assert_int_equal(edge_interp_invoke(it), 0);
    edge_interp_free(it);
    dm_version_unref(old3);
    dm_version_unref(new3);
    dm_version_unref(v4);
    dm_version_unref(late);
    dm_version_unref(d1);
}

static void test_unload_load(void **state)
{
    fixture *f = *state;
    dm_registry_scan(f->reg);
    char err[512];
    dm_version *held = dm_registry_get(f->reg, "multi", -1, err, sizeof err);
    assert_non_null(held);
    const uint64_t uid = held->uid;
    assert_int_equal(dm_registry_unload(f->reg, "multi", err, sizeof err), 0);
    assert_true(atomic_load(&held->retired));
    assert_int_equal(held->entry->n_versions, 0);
    assert_false(held->entry->loaded);
    assert_null(dm_registry_get(f->reg, "multi", -1, err, sizeof err));
    assert_string_equal(err, "model 'multi' is not loaded");
    /* The holder keeps a working model. */
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(held->model, &it, NULL), 0);
    assert_int_equal(edge_interp_invoke(it), 0);
    edge_interp_free(it);
    /* A rescan leaves an unloaded model alone; load brings it back. */
    dm_registry_scan(f->reg);
    assert_null(dm_registry_get(f->reg, "multi", -1, err, sizeof err));
    assert_int_equal(dm_registry_unload(f->reg, "multi", err, sizeof err), -1);
    assert_string_equal(err, "model 'multi' is not loaded");
    assert_int_equal(load_now(f->reg, "multi", err, sizeof err), 0);
    dm_version *back = dm_registry_get(f->reg, "multi", -1, err, sizeof err);
    assert_non_null(back);
    assert_int_equal(back->version, 20);
    assert_true(back->uid != uid);
    dm_version_unref(back);
    dm_version_unref(held);
    /* Load of something that is not there, or not a name. */
    assert_int_equal(load_now(f->reg, "nope", err, sizeof err), -1);
    assert_non_null(strstr(err, "no model 'nope' in "));
    assert_non_null(strstr(err, "nope.tflite"));
    assert_int_equal(load_now(f->reg, "../etc", err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid model name '../etc'"));
    assert_int_equal(load_now(f->reg, "broken", err, sizeof err), -1);
    assert_non_null(strstr(err, "model 'broken': version 1: "));
    /* Load of a model a scan never saw. */
    put_model(f, "fresh/5/model.tflite");
    assert_int_equal(load_now(f->reg, "fresh", err, sizeof err), 0);
    dm_version *fresh = dm_registry_get(f->reg, "fresh", 5, err, sizeof err);
    assert_non_null(fresh);
    dm_version_unref(fresh);
}

static void test_version_cap(void **state)
{
    fixture *f = *state;
    for (int i = 1; i <= DM_MAX_VERSIONS + 2; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "many/%d/model.tflite", i);
        put_model(f, rel);
    }
    dm_registry_scan(f->reg);
    char err[512];
    dm_version *v = dm_registry_get(f->reg, "many", -1, err, sizeof err);
    assert_non_null(v);
    assert_int_equal(v->version, DM_MAX_VERSIONS + 2);
    assert_int_equal(v->entry->n_versions, DM_MAX_VERSIONS);
    assert_int_equal(v->entry->versions[DM_MAX_VERSIONS - 1]->version, 3);
    dm_version_unref(v);
    assert_null(dm_registry_get(f->reg, "many", 2, err, sizeof err));
}

/* ---- version policy, pin_io, removal, loads off the loop thread ---- */

static dm_version *get_v(fixture *f, const char *name, int64_t v)
{
    char err[512];
    return dm_registry_get(f->reg, name, v, err, sizeof err);
}

static bool serves(fixture *f, const char *name, int64_t v)
{
    dm_version *x = get_v(f, name, v);
    dm_version_unref(x);
    return x != NULL;
}

static void test_policy(void **state)
{
    fixture *f = *state;
    static const char latest2[] = "[model]\nversion_policy = latest 2\n";
    put_file(f, "multi/model.conf", latest2, sizeof latest2 - 1);
    dm_registry_scan(f->reg);
    assert_true(serves(f, "multi", 20) && serves(f, "multi", 3));
    assert_false(serves(f, "multi", 1));
    dm_version *d = get_v(f, "multi", -1);
    assert_int_equal(d->version, 20);
    assert_string_equal(d->entry->policy, "latest 2");
    dm_version_unref(d);
    /* a new version folder: the oldest of the two leaves */
    dm_version *held3 = get_v(f, "multi", 3);
    put_model(f, "multi/21/model.tflite");
    dm_registry_sync(f->reg, "multi");
    assert_true(serves(f, "multi", 21) && serves(f, "multi", 20));
    assert_false(serves(f, "multi", 3));
    assert_true(atomic_load(&held3->retired)); /* its holder keeps a working model */
    dm_version_unref(held3);
    /* model.conf changed: specific versions, also ones not on disk */
    static const char specific[] = "[model]\nversion_policy = specific 1, 3, 99\n";
    put_file(f, "multi/model.conf", specific, sizeof specific - 1);
    dm_registry_sync(f->reg, "multi");
    assert_true(serves(f, "multi", 1) && serves(f, "multi", 3));
    assert_false(serves(f, "multi", 20) || serves(f, "multi", 21));
    /* a bad model.conf keeps what is loaded and says why */
    static const char bad[] = "[model]\nversion_policy = newest\n";
    put_file(f, "multi/model.conf", bad, sizeof bad - 1);
    dm_registry_sync(f->reg, "multi");
    assert_true(serves(f, "multi", 1) && serves(f, "multi", 3));
    d = get_v(f, "multi", -1);
    assert_non_null(strstr(dm_entry_last_error(d->entry), "model.conf:2: version_policy"));
    assert_true(d->entry->reloads_failed >= 1);
    dm_version_unref(d);
}

static void test_pin_io_and_bad_reload(void **state)
{
    fixture *f = *state;
    static const char pin[] = "[model]\npin_io = yes\n";
    put_file(f, "pinned/model.conf", pin, sizeof pin - 1);
    put_model(f, "pinned/1/model.tflite");
    dm_registry_scan(f->reg);
    dm_version *v1 = get_v(f, "pinned", -1);
    assert_non_null(v1);
    /* a version with other inputs is refused; version 1 serves on */
    opgen_case oc;
    assert_int_equal(opgen_make("ADD", 7, &oc), 0);
    put_file(f, "pinned/2/model.tflite", oc.q.file, oc.q.size);
    dm_registry_sync(f->reg, "pinned");
    dm_version *now = get_v(f, "pinned", -1);
    assert_true(now == v1);
    assert_non_null(strstr(dm_entry_last_error(now->entry), "pin_io is set and its signature"));
    dm_version_unref(now);
    /* without pin_io it would serve */
    put_file(f, "free/1/model.tflite", f->model, f->size);
    put_file(f, "free/2/model.tflite", oc.q.file, oc.q.size);
    dm_registry_scan(f->reg);
    assert_true(serves(f, "free", 2));
    opgen_case_free(&oc);
    /* a corrupt or truncated file over a serving one: the old one stays */
    dm_version *d1 = get_v(f, "digits", -1);
    put_garbage(f, "digits.tflite");
    dm_registry_sync(f->reg, "digits");
    now = get_v(f, "digits", -1);
    assert_true(now == d1);
    assert_non_null(strstr(dm_entry_last_error(now->entry), "digits.tflite"));
    dm_version_unref(now);
    put_file(f, "digits.tflite", f->model, f->size / 2);
    dm_registry_sync(f->reg, "digits");
    now = get_v(f, "digits", -1);
    assert_true(now == d1);
    dm_version_unref(now);
    /* and a good one replaces it, clearing the error */
    put_model(f, "digits.tflite");
    dm_registry_sync(f->reg, "digits");
    now = get_v(f, "digits", -1);
    assert_true(now != d1);
    assert_string_equal(dm_entry_last_error(now->entry), "");
    assert_true(atomic_load(&d1->retired));
    dm_version_unref(now);
    dm_version_unref(d1);
    dm_version_unref(v1);
}

static void test_removed(void **state)
{
    fixture *f = *state;
    dm_registry_scan(f->reg);
    char path[512];
    snprintf(path, sizeof path, "%s/digits.tflite", f->dir);
    assert_int_equal(unlink(path), 0);
    dm_registry_sync(f->reg, "digits");
    char err[512];
    assert_null(dm_registry_get(f->reg, "digits", -1, err, sizeof err));
    assert_non_null(strstr(err, "not loaded: no file in the repository"));
    /* one version folder removed: that version goes, the others stay */
    snprintf(path, sizeof path, "rm -rf '%s/multi/3'", f->dir);
    assert_int_equal(system(path), 0);
    dm_registry_scan(f->reg);
    assert_true(serves(f, "multi", 20) && serves(f, "multi", 1));
    assert_false(serves(f, "multi", 3));
    /* the whole folder: the model goes (a rescan finds it missing) */
    snprintf(path, sizeof path, "rm -rf '%s/multi'", f->dir);
    assert_int_equal(system(path), 0);
    dm_registry_scan(f->reg);
    assert_false(serves(f, "multi", -1));
}

typedef struct async_done {
    int calls, rc;
    char err[1024];
} async_done;

static void on_async_loaded(const char *name, int rc, const char *err, void *arg)
{
    async_done *a = arg;
    a->calls++;
    a->rc = rc;
    snprintf(a->err, sizeof a->err, "%s", err);
}

/* With a loop, loads run in the thread pool and swap in on the loop thread. */
static void test_async(void **state)
{
    fixture *f = *state;
    dm_registry_scan(f->reg);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dm_registry_set_loop(f->reg, &loop);
    dm_version *old = get_v(f, "digits", -1);
    put_model(f, "digits.tflite");
    async_done a = {0}, b = {0};
    dm_registry_load(f->reg, "digits", on_async_loaded, &a);
    assert_int_equal(a.calls, 0); /* not yet: in the thread pool */
    assert_true(dm_entry_loading(old->entry));
    dm_registry_sync(f->reg, "digits"); /* meanwhile: runs after it */
    dm_registry_load(f->reg, "digits", on_async_loaded, &b);
    dm_version *still = get_v(f, "digits", -1);
    assert_true(still == old); /* nothing swapped before the loop runs */
    dm_version_unref(still);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(dm_registry_idle(f->reg));
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(a.rc, 0);
    dm_version *fresh = get_v(f, "digits", -1);
    assert_true(fresh != old);
    assert_true(atomic_load(&old->retired));
    dm_version_unref(fresh);
    dm_version_unref(old);
    /* a failing load answers with the reason */
    put_garbage(f, "digits.tflite");
    async_done c = {0};
    dm_registry_load(f->reg, "digits", on_async_loaded, &c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.rc, -1);
    assert_non_null(strstr(c.err, "model 'digits': version 1: "));
    /* closing drops what is still loading */
    put_model(f, "digits.tflite");
    async_done d = {0};
    dm_registry_load(f->reg, "digits", on_async_loaded, &d);
    dm_registry_close(f->reg);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.rc, -1);
    dm_registry_set_loop(f->reg, NULL);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- the memory budget (registry_budget.c) ---- */

/* A registry over a repository of a, b, c (lazy under a budget) and p (pinned), with BUDGET. */
static dm_registry *budget_registry(fixture *f, uint64_t budget)
{
    dm_config c = f->cfg;
    c.memory_budget = budget;
    c.workers = 2;
    dm_registry *r = dm_registry_new(&c);
    assert_non_null(r);
    assert_int_equal(dm_registry_scan(r), 0);
    return r;
}

/* Ask for NAME as a front end does: 0 when it serves now (loaded inline, without a loop), 1 when
 * refused because it needs no load (resident: dm_registry_want says -1 and why). */
static int want(dm_registry *r, const char *name)
{
    async_done a = {0};
    char err[256];
    if (dm_registry_want(r, name, 0, on_async_loaded, &a, err, sizeof err) != 0) {
        assert_non_null(strstr(err, "changed while the request looked for it"));
        assert_int_equal(a.calls, 0);
        return 1;
    }
    assert_int_equal(a.calls, 1); /* inline: answered before it returned */
    return a.rc;
}

static void touch(dm_registry *r, const char *name)
{
    char err[256];
    dm_version *v = dm_registry_get(r, name, -1, err, sizeof err);
    assert_non_null(v);
    dm_version_unref(v);
}

static dm_residency residency(dm_registry *r, const char *name)
{
    dm_residency x;
    dm_entry *e = dm_registry_entry(r, name);
    assert_non_null(e);
    dm_entry_residency(r, e, &x);
    return x;
}

static int busy_a_seq_c_queued(dm_entry *e, void *arg)
{
    (void)arg;
    return !strcmp(dm_entry_name(e), "a") ? 2 : !strcmp(dm_entry_name(e), "c") ? 1 : 0;
}

static void test_budget(void **state)
{
    fixture *f = *state;
    snprintf(f->cfg.models_dir, sizeof f->cfg.models_dir, "%s/budget", f->dir);
    put_model(f, "budget/a.tflite");
    put_model(f, "budget/b.tflite");
    put_model(f, "budget/c.tflite");
    put_model(f, "budget/d.tflite");
    put_model(f, "budget/p/1/model.tflite");
    static const char pin[] = "[model]\npin = yes\n";
    put_file(f, "budget/p/model.conf", pin, sizeof pin - 1);
    /* what one model is charged: its private data and two arenas */
    dm_registry *r = budget_registry(f, 1ull << 40);
    assert_int_equal(want(r, "a"), 0);
    const dm_residency one = residency(r, "a");
    assert_true(one.resident && one.private_bytes > 0 && one.arena_bytes > 0);
    dm_registry_free(r);
    const uint64_t charge = one.private_bytes + one.arena_bytes;

    /* room for the pinned one and two more */
    r = budget_registry(f, charge * 3 + charge / 2);
    dm_census c = dm_registry_census(r);
    assert_int_equal(c.models, 1); /* p, pinned: loaded at start */
    assert_int_equal(c.on_demand, 4);
    assert_true(residency(r, "p").pinned && residency(r, "p").resident);
    char err[256];
    assert_null(dm_registry_get(r, "a", -1, err, sizeof err));
    assert_non_null(strstr(err, "memory_budget"));
    assert_true(dm_entry_lazy(dm_registry_entry(r, "a")));
    assert_int_equal(want(r, "a"), 0);
    assert_int_equal(want(r, "a"), 1); /* resident: go on */
    assert_int_equal(want(r, "b"), 0);
    assert_int_equal(dm_registry_census(r).models, 3);
    touch(r, "a"); /* b is the least recently used now */
    assert_int_equal(want(r, "c"), 0);
    assert_false(residency(r, "b").resident);
    assert_true(residency(r, "b").evicted && residency(r, "b").lazy);
    assert_int_equal(residency(r, "b").evictions, 1);
    assert_int_equal(residency(r, "b").private_bytes, 0);
    assert_true(residency(r, "a").resident && residency(r, "c").resident);
    assert_true(dm_registry_budget(r).used <= charge * 3 + charge / 2);
    assert_int_equal(residency(r, "p").evictions, 0);

    /* a model in a sequence stays; one with requests queued goes after the idle ones */
    dm_registry_set_busy(r, busy_a_seq_c_queued, NULL);
    touch(r, "c");
    assert_int_equal(want(r, "b"), 0); /* a is older, but in a sequence: c goes */
    assert_true(residency(r, "a").resident);
    assert_false(residency(r, "c").resident);
    touch(r, "b");
    assert_int_equal(want(r, "c"), 0); /* a: sequences; b: idle (c is busy, but loading) */
    assert_false(residency(r, "b").resident);
    touch(r, "c");
    dm_registry_set_busy(r, busy_a_seq_c_queued, NULL);
    assert_int_equal(want(r, "d"), 0); /* only c can go: queued requests do not keep it */
    assert_false(residency(r, "c").resident);
    assert_true(residency(r, "a").resident && residency(r, "d").resident);
    dm_registry_set_busy(r, NULL, NULL);
    assert_true(residency(r, "p").resident);
    assert_int_equal(residency(r, "p").evictions, 0);

    /* unloaded on request: not loaded on demand any more, until loaded explicitly */
    assert_int_equal(dm_registry_unload(r, "b", err, sizeof err), 0);
    assert_int_equal(want(r, "b"), 1);
    assert_null(dm_registry_get(r, "b", -1, err, sizeof err));
    assert_null(strstr(err, "memory_budget"));
    dm_registry_free(r);
}

static void test_missing_repository(void **state)
{
    (void)state;
    dm_config c;
    dm_config_defaults(&c);
    snprintf(c.models_dir, sizeof c.models_dir, "/nonexistent/edged-models");
    dm_registry *r = dm_registry_new(&c);
    assert_non_null(r);
    assert_true(dm_registry_scan(r) < 0);
    dm_registry_free(r);
}

/* Without dm_leases_init a lease is refused as every daemon failure is: -1 and why. */
static void test_lease_refused(void **state)
{
    (void)state;
    char why[128] = "";
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(dm_lease_take(fd, why, sizeof why), -1);
    assert_string_equal(why, "edged could not set up file leases");
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scan_layouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rescan_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unload_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pin_io_and_bad_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
        cmocka_unit_test(test_missing_repository),
        cmocka_unit_test(test_lease_refused),
    };
    return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
