/*
 * cs_export.c - `concatseq export BUNDLE --flucoma DIR`: FluidDataSet and FluidLabelSet JSON of a bundle
 * (see cs_export.h for the schema and where it comes from).
 */
#include "cs_export.h"

#include "cs_cli.h"
#include "cs_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

cJSON *cs_export_fluid_dataset(const cs_bundle *b)
{
    const cs_ut_view *v = &b->view;
    cJSON *doc = cJSON_CreateObject(), *data = NULL;
    if (!doc || !cJSON_AddNumberToObject(doc, "cols", v->num_descriptors) ||
        !(data = cJSON_AddObjectToObject(doc, "data")))
        goto fail;
    for (uint32_t u = 0; u < v->num_units; ++u) {
        const float *x = cs_ut_unit_descriptors(v, u);
        cJSON *row = cJSON_CreateArray();
        char id[16];
        snprintf(id, sizeof id, "%u", (unsigned)u);
        if (!row) goto fail;
        cJSON_AddItemToObject(data, id, row);
        for (uint32_t d = 0; d < v->num_descriptors; ++d) {
            cJSON *n = cJSON_CreateNumber((double)x[d]);
            if (!n) goto fail;
            cJSON_AddItemToArray(row, n);
        }
    }
    return doc;
fail:
    cJSON_Delete(doc);
    return NULL;
}

cJSON *cs_export_fluid_labelset(const cs_bundle *b)
{
    const cs_ut_view *v = &b->view;
    cJSON *doc = cJSON_CreateObject(), *data = NULL;
    if (!doc || !cJSON_AddNumberToObject(doc, "cols", 1) || !(data = cJSON_AddObjectToObject(doc, "data"))) goto fail;
    for (uint32_t u = 0; u < v->num_units; ++u) {
        char id[16], label[16];
        snprintf(id, sizeof id, "%u", (unsigned)u);
        snprintf(label, sizeof label, "%d", (int)cs_ut_unit_label(v, u));
        cJSON *row = cJSON_CreateArray(), *s = cJSON_CreateString(label);
        if (!row || !s) {
            cJSON_Delete(row);
            cJSON_Delete(s);
            goto fail;
        }
        cJSON_AddItemToArray(row, s);
        cJSON_AddItemToObject(data, id, row);
    }
    return doc;
fail:
    cJSON_Delete(doc);
    return NULL;
}

/* Write doc to dir/name through a temporary file in dir, renamed into place; the file gets the permissions of an
 * ordinary new file (0666 less the umask). */
static int write_json_atomic(const char *dir, const char *name, const cJSON *doc, char *err, size_t errlen)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp.XXXXXX", dir, name);
    char *text = cJSON_PrintUnformatted(doc);
    if (!text) return snprintf(err, errlen, "%s: out of memory", path), CS_E_NOMEM;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
        free(text);
        return CS_E_IO;
    }
    mode_t mask = umask(0);
    umask(mask);
    size_t len = strlen(text), done = 0;
    int ok = fchmod(fd, (mode_t)(0666 & ~mask)) == 0;
    while (ok && done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        ok = w > 0;
        if (ok) done += (size_t)w;
    }
    ok = ok && write(fd, "\n", 1) == 1;
    ok = (close(fd) == 0) && ok;
    free(text);
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: write failed (%s; is the disk full?)", path, strerror(errno ? errno : EIO));
        unlink(tmp);
        return CS_E_IO;
    }
    return 0;
}

int cs_export_flucoma(const cs_bundle *b, const char *dir, int force, char *err, size_t errlen)
{
    static const char *names[2] = {CS_EXPORT_FLUID_DATASET, CS_EXPORT_FLUID_LABELSET};
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return snprintf(err, errlen, "--flucoma %s: is not a folder (give a folder to write into)", dir), CS_E_ARG;
        for (int i = 0; i < 2 && !force; ++i) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            if (access(path, F_OK) == 0)
                return snprintf(err, errlen, "%s: exists (add --force to replace it)", path), CS_E_EXISTS;
        }
    } else if (mkdir(dir, 0777) != 0)
        return snprintf(err, errlen, "--flucoma %s: cannot make the folder (%s)", dir, strerror(errno)), CS_E_IO;
    cJSON *docs[2] = {cs_export_fluid_dataset(b), cs_export_fluid_labelset(b)};
    int rc = (!docs[0] || !docs[1]) ? (snprintf(err, errlen, "%s: out of memory", dir), CS_E_NOMEM) : 0;
    int written = 0;
    for (int i = 0; i < 2 && !rc; ++i)
        if (!(rc = write_json_atomic(dir, names[i], docs[i], err, errlen))) ++written;
    if (rc && written == 1 && !force) { /* the data set is in place but the label set failed: no half export */
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, names[0]);
        unlink(path);
    }
    cJSON_Delete(docs[0]);
    cJSON_Delete(docs[1]);
    return rc;
}

void cs_usage_export(FILE *f)
{
    fprintf(f,
            "usage: concatseq export BUNDLE --flucoma DIR [--force]\n\n"
            "Write the bundle's units for FluCoMa (FluidDataSet.read / FluidLabelSet.read):\n"
            "  DIR/" CS_EXPORT_FLUID_DATASET "   the normalised descriptors, {\"cols\": D, \"data\": {\"UNIT\": "
            "[...]}}\n"
            "  DIR/" CS_EXPORT_FLUID_LABELSET "  the labels, {\"cols\": 1, \"data\": {\"UNIT\": [\"LABEL\"]}}\n"
            "ids are the unit indices (as ConcatPlay takes them); columns in corpus.json's `descriptors` order.\n\n"
            "options:\n"
            "  --flucoma DIR   folder to write into (made when missing)\n"
            "  --force         replace existing " CS_EXPORT_FLUID_DATASET " / " CS_EXPORT_FLUID_LABELSET " in DIR\n");
}

int cs_cmd_export(int argc, char **argv)
{
    const char *bundle = NULL, *dir = NULL;
    int force = 0;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            cs_usage_export(stdout);
            return 0;
        }
        if (!strcmp(a, "--flucoma")) {
            if (i + 1 >= argc) return cs_cli_fail("export", "--flucoma: missing value (a folder to write into)");
            dir = argv[++i];
        } else if (!strcmp(a, "--force"))
            force = 1;
        else if (a[0] == '-')
            return cs_cli_fail("export", "unknown option %s (see concatseq help export)", a);
        else if (!bundle)
            bundle = a;
        else
            return cs_cli_fail("export", "unexpected argument %s", a);
    }
    if (!bundle) return cs_cli_fail("export", "no BUNDLE given (usage: concatseq export BUNDLE --flucoma DIR)");
    if (!dir)
        return cs_cli_fail("export", "no format given: add --flucoma DIR (usage: concatseq export BUNDLE "
                                     "--flucoma DIR)");
    cs_bundle b;
    char err[1024] = "";
    if (cs_bundle_read(bundle, &b, err, sizeof err)) return cs_cli_fail("export", "%s", err);
    int rc = cs_export_flucoma(&b, dir, force, err, sizeof err);
    if (rc)
        rc = cs_cli_fail("export", "%s", err[0] ? err : cs_strerror(rc));
    else
        printf("wrote %s/%s (%u units x %u descriptors) and %s/%s (%u labels)\n", dir, CS_EXPORT_FLUID_DATASET,
               (unsigned)b.view.num_units, (unsigned)b.view.num_descriptors, dir, CS_EXPORT_FLUID_LABELSET,
               (unsigned)b.view.num_labels);
    cs_bundle_free(&b);
    return rc;
}
