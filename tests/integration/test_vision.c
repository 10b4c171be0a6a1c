/* tests/integration/test_vision.c - the camera APIs of a real edged, driven as their clients do.
 *
 * Owns: the DeepStack / CodeProject.AI API on its own TCP listener ([vision] listen) with an
 * api_key: curl -F as Home Assistant's deepstack integration and CodeProject.AI clients post
 * (the zoo's YOLOv8n finds the kite and the people in kite_and_cold.jpg exactly where
 * `edgectl detect` does offline; the zoo's SSD finds person and kite at 0.5 with boxes inside
 * the photo), the body Python requests builds (fields first, the file named after its field),
 * /v1/vision/scene with the zoo's bird classifier, /v1/vision/custom/list, the same endpoints
 * on the Unix socket; every refusal in DeepStack's form ({"success":false,"error"}) with edged
 * serving on: a missing or wrong key, not an image, a truncated JPEG, a picture over
 * [server] max_image_pixels (from its header), a cut multipart body, a model that cannot
 * detect, an unknown model, GET, other paths on the vision listener, a priority or timeout
 * field that is not a non-negative integer (edged's fields, taken as OIP's). The Open Inference
 * Protocol: Triton's classification extension on a tensor request (the zoo's flower model on
 * its sunflower), a JPEG as a BYTES input (binary with the element's length prefix, and base64
 * JSON) with parameters.detections or an output's classification, and their refusals.
 * `edgectl detect --model NAME --draw` and `edgectl infer --image --top` against the daemon.
 * (Frigate's detectors: test_frigate.c.) Visible SKIP without ../shared/zoo. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <zlib.h>

#include "daemon_fixture.h"
#include "image.h"
#include "mqtt_fixture.h"

#define KEY "s3cret"

static dfx f;
static mqb B; /* the broker of the MQTT picture test */
static char zoo[512];
static int port;

/* MODEL of the zoo as NAME/1/model.tflite with its labels.txt (unless LABELS is false: then
 * those the model file carries serve) and CONF as model.conf. */
static void add_model(const char *name, const char *model, const char *conf, bool labels)
{
    char path[1024], target[1024];
    snprintf(path, sizeof path, "%s/%s", f.models, name);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/1", f.models, name);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/1/model.tflite", f.models, name);
    snprintf(target, sizeof target, "%s/%s/model.tflite", zoo, model);
    assert_int_equal(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/%s/labels.txt", f.models, name);
    snprintf(target, sizeof target, "%s/%s/labels.txt", zoo, model);
    if (labels)
        assert_int_equal(symlink(target, path), 0);
    if (conf) {
        snprintf(path, sizeof path, "%s/%s/model.conf", f.models, name);
        FILE *c = fopen(path, "w");
        assert_non_null(c);
        fputs(conf, c);
        fclose(c);
    }
}

static int setup(void **state)
{
    (void)state;
    if (!dfx_zoo_or_skip(zoo, sizeof zoo))
        return 0;
    if (dfx_init(&f, NULL))
        return -1;
    add_model("yolo", "yolov8n_int8", NULL, true);
    add_model("ssd", "ssd_mobilenet_v1_coco_quant", "[input]\nresize = stretch\n", true);
    add_model("birds", "mobilenet_v2_inat_bird_u8", "[input]\nresize = stretch\n", true);
    /* no labels.txt: the labels its TFLite metadata carries name the classes */
    add_model("flowers", "efficientnet_lite0_u8", NULL, false);
    /* a gray image model of the shared models */
    char target[1024], link[1024];
    snprintf(target, sizeof target, "%s/../models/person_detect/model.tflite", zoo);
    snprintf(link, sizeof link, "%s/person_detect.tflite", f.models);
    if (symlink(target, link))
        return -1;
    port = dfx_free_port();
    if (mqb_start(&B, NULL))
        return -1;
    char extra[1280];
    snprintf(extra, sizeof extra,
             "max_image_pixels = 2000000\n[vision]\nlisten = 127.0.0.1:%d\napi_key = " KEY
             "\ndetection_model = yolo\nscene_model = birds\n[mqtt]\nhost = "
             "127.0.0.1\nport = %d\ntopic_prefix = edged/v\n",
             port, B.port);
    return dfx_start(&f, extra);
}

static int teardown(void **state)
{
    (void)state;
    if (zoo[0]) {
        dfx_stop(&f, SIGTERM);
        dfx_cleanup(&f);
        mqb_cleanup(&B);
    }
    return 0;
}

/* CMD through the shell, its output (NUL-terminated, LEN bytes at most) into OUT: its exit
 * status. */
static int sh(const char *cmd, char *out, size_t len)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    const size_t n = fread(out, 1, len - 1, p);
    out[n] = 0;
    const int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* curl ARGS against the vision listener (or the Unix socket with UNIX); the HTTP status, the
 * body as JSON in *OUT (NULL when it is not). */
static int call(bool unix_socket, const char *args, json_t **out)
{
    char cmd[4096], body[65536];
    snprintf(cmd, sizeof cmd, "curl -s -S --max-time 60 -w '\\n%%{http_code}' %s%s %s",
             unix_socket ? "--unix-socket " : "", unix_socket ? f.sock : "", args);
    sh(cmd, body, sizeof body);
    char *nl = strrchr(body, '\n');
    assert_non_null(nl);
    *nl = 0;
    *out = json_loads(body, 0, NULL);
    return atoi(nl + 1);
}

static const char *url(const char *path)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "http://127.0.0.1:%d%s", port, path);
    return buf;
}

/* A refusal: STATUS and {"success":false,"error":... MSG ...}. */
static void refused(bool unix_socket, const char *args, int status, const char *msg)
{
    json_t *o;
    const int st = call(unix_socket, args, &o);
    const char *err = json_string_value(json_object_get(o, "error"));
    if (st != status || !o || !json_is_false(json_object_get(o, "success")) || !err ||
        !strstr(err, msg))
        fail_msg("%s: %d '%s', expected %d '%s'", args, st, err ? err : "(no error)", status, msg);
    json_decref(o);
}

/* Whether PREDS has LABEL at least once; the first one's box in BOX. */
static bool has(json_t *preds, const char *label, int box[4])
{
    size_t i;
    json_t *p;
    json_array_foreach(preds, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "label")), label))
            continue;
        if (box) {
            box[0] = (int)json_integer_value(json_object_get(p, "x_min"));
            box[1] = (int)json_integer_value(json_object_get(p, "y_min"));
            box[2] = (int)json_integer_value(json_object_get(p, "x_max"));
            box[3] = (int)json_integer_value(json_object_get(p, "y_max"));
        }
        return true;
    }
    return false;
}

/* The DeepStack shape: success, count = the predictions, sorted by descending confidence, each
 * with label, confidence at least MIN, a box inside W x H. */
static json_t *check_detection(json_t *o, double min, int w, int h)
{
    assert_non_null(o);
    assert_true(json_is_true(json_object_get(o, "success")));
    json_t *preds = json_object_get(o, "predictions");
    assert_true(json_is_array(preds));
    assert_int_equal(json_integer_value(json_object_get(o, "count")), json_array_size(preds));
    assert_true(json_is_integer(json_object_get(o, "inferenceMs")));
    assert_true(json_is_integer(json_object_get(o, "processMs")));
    double last = 2.0;
    size_t i;
    json_t *p;
    json_array_foreach(preds, i, p)
    {
        const double c = json_real_value(json_object_get(p, "confidence"));
        assert_true(c >= min && c <= last);
        last = c;
        assert_true(json_is_string(json_object_get(p, "label")));
        const json_int_t x0 = json_integer_value(json_object_get(p, "x_min"));
        const json_int_t y0 = json_integer_value(json_object_get(p, "y_min"));
        const json_int_t x1 = json_integer_value(json_object_get(p, "x_max"));
        const json_int_t y1 = json_integer_value(json_object_get(p, "y_max"));
        assert_true(x0 >= 0 && x0 <= x1 && x1 <= w && y0 >= 0 && y0 <= y1 && y1 <= h);
    }
    return preds;
}

/* Home Assistant / CodeProject.AI: curl -F against the default detector; the answer is what
 * `edgectl detect` finds offline with the same model and threshold. */
static void test_detection(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    char args[2048];
    snprintf(args, sizeof args,
             "-F image=@%s/images/kite_and_cold.jpg -F min_confidence=0.5 -F api_key=" KEY " %s",
             zoo, url("/v1/vision/detection"));
    json_t *o;
    assert_int_equal(call(false, args, &o), 200);
    json_t *preds = check_detection(o, 0.5, 1352, 900);
    int kite[4];
    assert_true(has(preds, "kite", kite));
    assert_true(has(preds, "person", NULL));
    assert_true(kite[0] > 550 && kite[2] < 700 && kite[1] > 50 && kite[3] < 180);
    /* offline, the same pipeline: the same objects */
    char cmd[2048], offline[16384];
    snprintf(cmd, sizeof cmd,
             "%s detect %s/images/kite_and_cold.jpg --model %s/yolov8n_int8/model.tflite "
             "--labels %s/yolov8n_int8/labels.txt --score 0.5 --json",
             EDGECTL, zoo, zoo, zoo);
    assert_int_equal(sh(cmd, offline, sizeof offline), 0);
    json_t *want = json_loads(offline, 0, NULL);
    assert_non_null(want);
    assert_int_equal(json_array_size(want), json_array_size(preds));
    for (size_t i = 0; i < json_array_size(want); i++) {
        json_t *a = json_array_get(want, i), *b = json_array_get(preds, i);
        static const char *const keys[] = {"label", "x_min", "y_min", "x_max", "y_max"};
        for (size_t k = 0; k < 5; k++)
            assert_true(json_equal(json_object_get(a, keys[k]), json_object_get(b, keys[k])));
    }
    json_decref(want);
    json_decref(o);
    /* the SSD by name: person and kite at 0.5, inside the photo (at high priority, with a
     * generous timeout: edged's fields) */
    snprintf(args, sizeof args,
             "-F image=@%s/images/kite_and_cold.jpg -F api_key=" KEY " -F min_confidence=0.5 "
             "-F priority=1 -F timeout=600000000 %s",
             zoo, url("/v1/vision/custom/ssd"));
    assert_int_equal(call(false, args, &o), 200);
    preds = check_detection(o, 0.5, 1352, 900);
    assert_true(has(preds, "person", NULL));
    assert_true(has(preds, "kite", NULL));
    json_decref(o);
    /* DeepStack's default threshold is 0.4: more objects than at 0.5 */
    snprintf(args, sizeof args, "-F image=@%s/images/kite_and_cold.jpg -F api_key=" KEY " %s", zoo,
             url("/v1/vision/custom/ssd"));
    assert_int_equal(call(false, args, &o), 200);
    check_detection(o, 0.4, 1352, 900);
    json_decref(o);
}

/* The body Python requests builds for files={"image": bytes}, data={...}, as the deepstack
 * integration posts it, sent over a raw connection. */
static void test_python_form(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/images/owl.jpg", zoo);
    size_t jlen;
    char *jpg = dfx_slurp(path, &jlen);
    assert_non_null(jpg);
    static const char head[] =
        "--a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6\r\nContent-Disposition: form-data; "
        "name=\"api_key\"\r\n\r\n" KEY "\r\n--a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6\r\n"
        "Content-Disposition: form-data; name=\"min_confidence\"\r\n\r\n0.45\r\n"
        "--a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6\r\nContent-Disposition: form-data; name=\"image\"; "
        "filename=\"image\"\r\n\r\n";
    static const char tail[] = "\r\n--a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6--\r\n";
    const size_t blen = sizeof head - 1 + jlen + sizeof tail - 1;
    char *req = malloc(blen + 512);
    assert_non_null(req);
    int n = snprintf(req, 512,
                     "POST /v1/vision/detection HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     "User-Agent: python-requests/2.28.1\r\nAccept-Encoding: gzip, deflate\r\n"
                     "Accept: */*\r\nConnection: close\r\nContent-Length: %zu\r\n"
                     "Content-Type: multipart/form-data; "
                     "boundary=a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6\r\n\r\n",
                     port, blen);
    memcpy(req + n, head, sizeof head - 1);
    memcpy(req + n + sizeof head - 1, jpg, jlen);
    memcpy(req + n + sizeof head - 1 + jlen, tail, sizeof tail - 1);
    const size_t total = (size_t)n + blen;
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    for (size_t off = 0; off < total;) {
        const ssize_t w = write(fd, req + off, total - off);
        assert_true(w > 0);
        off += (size_t)w;
    }
    char reply[65536];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof reply - 1 && (r = read(fd, reply + got, sizeof reply - 1 - got)) > 0)
        got += (size_t)r;
    reply[got] = 0;
    close(fd);
    free(req);
    free(jpg);
    assert_non_null(strstr(reply, "HTTP/1.1 200"));
    const char *body = strstr(reply, "\r\n\r\n");
    assert_non_null(body);
    json_t *o = json_loads(body + 4, 0, NULL);
    json_t *preds = check_detection(o, 0.45, 512, 384);
    assert_true(has(preds, "bird", NULL));
    json_decref(o);
}

/* /v1/vision/scene, /v1/vision/custom/list, and the API on the Unix socket. */
static void test_scene_and_list(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    char args[2048];
    json_t *o;
    snprintf(args, sizeof args, "-F image=@%s/images/parrot.jpg -F api_key=" KEY " %s", zoo,
             url("/v1/vision/scene"));
    assert_int_equal(call(false, args, &o), 200);
    assert_true(json_is_true(json_object_get(o, "success")));
    assert_string_equal(json_string_value(json_object_get(o, "label")),
                        "Ara macao (Scarlet Macaw)");
    assert_true(json_real_value(json_object_get(o, "confidence")) > 0.5);
    json_decref(o);
    snprintf(args, sizeof args, "-F api_key=" KEY " %s", url("/v1/vision/custom/list"));
    assert_int_equal(call(false, args, &o), 200);
    json_t *models = json_object_get(o, "models");
    assert_int_equal(json_array_size(models), 2); /* the detectors: not birds, not digits */
    assert_string_equal(json_string_value(json_array_get(models, 0)), "ssd");
    assert_string_equal(json_string_value(json_array_get(models, 1)), "yolo");
    json_decref(o);
    /* the pictures' preparation is in /metrics, per model */
    char *metrics = NULL;
    assert_int_equal(dfx_curl(&f, "GET", "/metrics", NULL, NULL, &metrics, NULL, NULL), 200);
    const char *cnt = strstr(metrics, "edged_image_prepare_seconds_count{model=\"yolo\"} ");
    assert_non_null(cnt);
    assert_true(atoi(cnt + strlen("edged_image_prepare_seconds_count{model=\"yolo\"} ")) >= 2);
    free(metrics);
    /* the Unix socket serves the same API */
    snprintf(args, sizeof args,
             "-F image=@%s/images/owl.jpg -F api_key=" KEY " http://x/v1/vision/custom/ssd", zoo);
    assert_int_equal(call(true, args, &o), 200);
    assert_true(has(check_detection(o, 0.4, 512, 384), "bird", NULL));
    json_decref(o);
}

/* A PNG declaring W x H pixels (its IHDR with the CRC) and an empty IDAT: all a decoder reads
 * before it would take the pixels' memory. */
static void write_png_header(const char *path, uint32_t w, uint32_t h)
{
    uint8_t b[45] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    const uint32_t be[2] = {htonl(w), htonl(h)};
    memcpy(b + 16, be, 8);
    b[24] = 8, b[25] = 2; /* 8-bit RGB */
    uint32_t crc = htonl((uint32_t)crc32(0, b + 12, 17));
    memcpy(b + 29, &crc, 4);
    memcpy(b + 33, "\0\0\0\0IDAT", 8);
    crc = htonl((uint32_t)crc32(0, b + 37, 4));
    memcpy(b + 41, &crc, 4);
    FILE *o = fopen(path, "wb");
    assert_non_null(o);
    fwrite(b, 1, sizeof b, o);
    fclose(o);
}

static void test_refusals(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    char args[2048], file[512], det[256];
    snprintf(det, sizeof det, "%s", url("/v1/vision/detection"));
    snprintf(args, sizeof args, "-F image=@%s/images/owl.jpg %s", zoo, det);
    refused(false, args, 401, "an api_key field is required");
    snprintf(args, sizeof args, "-F image=@%s/images/owl.jpg -F api_key=wrong %s", zoo, det);
    refused(false, args, 401, "incorrect api_key");
    snprintf(args, sizeof args, "-F image=@%s/images/owl.jpg -F api_key=" KEY "x %s", zoo, det);
    refused(false, args, 401, "incorrect api_key"); /* the key and more is not the key */
    snprintf(args, sizeof args, "-F image=@%s/yolov8n_int8/labels.txt -F api_key=" KEY " %s", zoo,
             det);
    refused(false, args, 400, "not a JPEG or PNG image");
    snprintf(file, sizeof file, "%s/cut.jpg", f.dir);
    snprintf(args, sizeof args, "head -c 20000 %s/images/kite_and_cold.jpg > %s", zoo, file);
    assert_int_equal(system(args), 0);
    snprintf(args, sizeof args, "-F image=@%s -F api_key=" KEY " %s", file, det);
    refused(false, args, 400, "JPEG: truncated or corrupt data");
    snprintf(file, sizeof file, "%s/bomb.png", f.dir);
    write_png_header(file, 50000, 50000);
    snprintf(args, sizeof args, "-F image=@%s -F api_key=" KEY " %s", file, det);
    refused(false, args, 413, "50000x50000 pixels exceeds the limit of 2000000");
    snprintf(args, sizeof args,
             "-F image=@%s/images/owl.jpg -F api_key=" KEY " -F min_confidence=high %s", zoo, det);
    refused(false, args, 400, "min_confidence 'high' is not a number from 0 to 1");
    /* edged's priority and timeout fields: the request layer's parser, as OIP's parameters */
    snprintf(args, sizeof args,
             "-F image=@%s/images/owl.jpg -F api_key=" KEY " -F priority=high %s", zoo, det);
    refused(false, args, 400, "form field priority must be a non-negative integer");
    snprintf(args, sizeof args, "-F image=@%s/images/owl.jpg -F api_key=" KEY " -F timeout=-1 %s",
             zoo, det);
    refused(false, args, 400, "form field timeout must be a non-negative integer");
    snprintf(args, sizeof args, "-F api_key=" KEY " %s", det);
    refused(false, args, 400, "no image field in the form");
    snprintf(file, sizeof file, "%s/cut.form", f.dir);
    FILE *cut = fopen(file, "w");
    assert_non_null(cut);
    fputs("--zz\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\n" KEY
          "\r\n--zz\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc",
          cut);
    fclose(cut);
    snprintf(args, sizeof args,
             "-H 'Content-Type: multipart/form-data; boundary=zz' --data-binary @%s %s", file, det);
    refused(false, args, 400, "part 'image' never ends");
    snprintf(args, sizeof args, "-d 'image=abc' %s", det);
    refused(false, args, 400, "not multipart/form-data");
    snprintf(args, sizeof args, "-F image=@%s/images/owl.jpg -F api_key=" KEY " %s", zoo,
             url("/v1/vision/custom/birds"));
    refused(false, args, 400, "model 'birds' cannot answer a detection");
    snprintf(args, sizeof args, "-F image=@%s/images/owl.jpg -F api_key=" KEY " %s", zoo,
             url("/v1/vision/custom/nope"));
    refused(false, args, 404, "unknown model 'nope'");
    refused(false, det, 405, "takes POST");
    refused(false, url("/v2/health/ready"), 404, "no such endpoint: /v2/health/ready");
    refused(false, url("/v1/vision/face"), 404, "no such endpoint");
    /* and it serves on: the Unix socket's OIP, and a good picture */
    json_t *ready = dfx_get_json(&f, "/v2/health/ready", 200);
    json_decref(ready);
    json_t *o;
    snprintf(args, sizeof args, "-F image=@%s/images/owl.jpg -F api_key=" KEY " %s", zoo, det);
    assert_int_equal(call(false, args, &o), 200);
    check_detection(o, 0.4, 512, 384);
    json_decref(o);
}

/* POST BODY_FILE to PATH on the Unix socket with EXTRA curl arguments: the status, the reply
 * as JSON in *OUT. */
static int oip_post(const char *path, const char *body_file, const char *extra, json_t **out)
{
    char *body = NULL;
    const int st = dfx_curl(&f, "POST", path, body_file, extra, &body, NULL, NULL);
    *out = json_loads(body ? body : "", 0, NULL);
    if (!*out)
        fail_msg("POST %s: %d, not JSON: %s", path, st, body ? body : "");
    free(body);
    return st;
}

/* The Open Inference Protocol: Triton's classification extension on a tensor request; a
 * picture as a BYTES input (binary, with the BYTES element's length prefix; JSON base64) with
 * parameters.detections or an output's classification. */
static void test_oip(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    char file[512], cmd[2048];
    json_t *o;
    /* a uint8 tensor (the zoo's sunflower), its output classified */
    json_t *md = dfx_get_json(&f, "/v2/models/flowers", 200);
    const char *in_name = json_string_value(
        json_object_get(json_array_get(json_object_get(md, "inputs"), 0), "name"));
    const char *out_name = json_string_value(
        json_object_get(json_array_get(json_object_get(md, "outputs"), 0), "name"));
    snprintf(file, sizeof file, "%s/flowers.req", f.dir);
    char head[512];
    const int hl = snprintf(head, sizeof head,
                            "{\"inputs\":[{\"name\":\"%s\",\"datatype\":\"UINT8\",\"shape\":[1,224,"
                            "224,3],\"parameters\":{\"binary_data_size\":150528}}],\"outputs\":[{"
                            "\"name\":\"%s\",\"parameters\":{\"classification\":3}}]}",
                            in_name, out_name);
    FILE *w = fopen(file, "wb");
    fwrite(head, 1, (size_t)hl, w);
    fclose(w);
    snprintf(cmd, sizeof cmd, "cat %s/efficientnet_lite0_u8/input_0.bin >> %s", zoo, file);
    assert_int_equal(system(cmd), 0);
    char extra[128];
    snprintf(extra, sizeof extra, "-H 'Inference-Header-Content-Length: %d'", hl);
    assert_int_equal(oip_post("/v2/models/flowers/infer", file, extra, &o), 200);
    json_t *out = json_array_get(json_object_get(o, "outputs"), 0);
    assert_string_equal(json_string_value(json_object_get(out, "datatype")), "BYTES");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(out, "shape"), 0)), 3);
    const char *top = json_string_value(json_array_get(json_object_get(out, "data"), 0));
    assert_non_null(top);
    assert_non_null(strstr(top, ":3:sunflowers"));
    json_decref(o);
    json_decref(md);
    /* the photo of the kite as a binary BYTES element: detections in its pixels */
    snprintf(file, sizeof file, "%s/kite.req", f.dir);
    char path[1024];
    snprintf(path, sizeof path, "%s/images/kite_and_cold.jpg", zoo);
    size_t jlen;
    char *jpg = dfx_slurp(path, &jlen);
    assert_non_null(jpg);
    const int kl =
        snprintf(head, sizeof head,
                 "{\"id\":\"k1\",\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":"
                 "[1],\"parameters\":{\"binary_data_size\":%zu}}],\"parameters\":{\"detections\":"
                 "true,\"score_threshold\":0.5}}",
                 jlen + 4);
    w = fopen(file, "wb");
    fwrite(head, 1, (size_t)kl, w);
    const uint8_t pre[4] = {(uint8_t)jlen, (uint8_t)(jlen >> 8), (uint8_t)(jlen >> 16),
                            (uint8_t)(jlen >> 24)};
    fwrite(pre, 1, 4, w);
    fwrite(jpg, 1, jlen, w);
    fclose(w);
    free(jpg);
    snprintf(extra, sizeof extra, "-H 'Inference-Header-Content-Length: %d'", kl);
    assert_int_equal(oip_post("/v2/models/yolo/infer", file, extra, &o), 200);
    assert_string_equal(json_string_value(json_object_get(o, "id")), "k1");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(o, "parameters"), "image_width")), 1352);
    json_t *dets = json_array_get(json_object_get(o, "outputs"), 0);
    json_t *labels = json_array_get(json_object_get(o, "outputs"), 1);
    assert_string_equal(json_string_value(json_object_get(dets, "name")), "detections");
    const size_t n = (size_t)json_integer_value(json_array_get(json_object_get(dets, "shape"), 0));
    assert_true(n >= 2);
    assert_int_equal(json_array_size(json_object_get(dets, "data")), n * 6);
    assert_int_equal(json_array_size(json_object_get(labels, "data")), n);
    /* the best: the kite at the top centre, as the DeepStack API says */
    json_t *d = json_object_get(dets, "data");
    assert_string_equal(json_string_value(json_array_get(json_object_get(labels, "data"), 0)),
                        "kite");
    assert_true(json_number_value(json_array_get(d, 0)) == 597.0);
    assert_true(json_number_value(json_array_get(d, 3)) == 154.0);
    assert_true(json_number_value(json_array_get(d, 4)) > 0.8);
    assert_true(json_number_value(json_array_get(d, 5)) == 33.0);
    json_decref(o);
    /* the parrot as base64 in JSON, classified by the bird model */
    snprintf(file, sizeof file, "%s/parrot.req", f.dir);
    md = dfx_get_json(&f, "/v2/models/birds", 200);
    out_name = json_string_value(
        json_object_get(json_array_get(json_object_get(md, "outputs"), 0), "name"));
    snprintf(cmd, sizeof cmd,
             "{ printf '{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BYTES\",\"shape\":[1],"
             "\"data\":[\"'; base64 -w0 %s/images/parrot.jpg; printf '\"]}],\"outputs\":[{"
             "\"name\":\"%s\",\"parameters\":{\"classification\":2}}]}'; } > %s",
             zoo, out_name, file);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(oip_post("/v2/models/birds/infer", file, NULL, &o), 200);
    out = json_array_get(json_object_get(o, "outputs"), 0);
    assert_int_equal(json_array_size(json_object_get(out, "data")), 2);
    top = json_string_value(json_array_get(json_object_get(out, "data"), 0));
    assert_non_null(strstr(top, ":Ara macao (Scarlet Macaw)"));
    json_decref(o);
    json_decref(md);
    /* a gray model (person_detect, [1, 96, 96, 1] int8): the photo's luma, classified */
    md = dfx_get_json(&f, "/v2/models/person_detect", 200);
    out_name = json_string_value(
        json_object_get(json_array_get(json_object_get(md, "outputs"), 0), "name"));
    snprintf(cmd, sizeof cmd,
             "{ printf '{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BYTES\",\"shape\":[1],"
             "\"data\":[\"'; base64 -w0 %s/images/kite_and_cold.jpg; printf '\"]}],\"outputs\":"
             "[{\"name\":\"%s\",\"parameters\":{\"classification\":2}}]}'; } > %s",
             zoo, out_name, file);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(oip_post("/v2/models/person_detect/infer", file, NULL, &o), 200);
    out = json_array_get(json_object_get(o, "outputs"), 0);
    assert_int_equal(json_array_size(json_object_get(out, "data")), 2);
    json_decref(o);
    json_decref(md);
    /* refusals: neither detections nor classification; not base64; not a picture */
    static const char *const bad[][2] = {
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"AAAA\"]}]}",
         "either parameters.detections"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"%%%\"]}],"
         "\"parameters\":{\"detections\":true}}",
         "not base64"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BYTES\",\"shape\":[2],\"data\":[\"AA\","
         "\"AA\"]"
         "}],\"parameters\":{\"detections\":true}}",
         "one element"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"AAAAAAAA\"]"
         "}],\"parameters\":{\"detections\":true}}",
         "not a JPEG or PNG image"},
    };
    for (size_t i = 0; i < 4; i++) {
        w = fopen(file, "w");
        fputs(bad[i][0], w);
        fclose(w);
        assert_int_equal(oip_post("/v2/models/yolo/infer", file, NULL, &o), 400);
        const char *e = json_string_value(json_object_get(o, "error"));
        if (!e || !strstr(e, bad[i][1]))
            fail_msg("%s: '%s' lacks '%s'", bad[i][0], e ? e : "", bad[i][1]);
        json_decref(o);
    }
}

/* edgectl detect against the daemon's model by name, with --draw. */
static void test_edgectl(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    char cmd[2048], png[512], out[16384];
    snprintf(png, sizeof png, "%s/drawn.png", f.dir);
    snprintf(cmd, sizeof cmd,
             "%s detect %s/images/kite_and_cold.jpg --model yolo --socket %s --score 0.5 --json "
             "--draw %s",
             EDGECTL, zoo, f.sock, png);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    json_t *preds = json_loads(out, 0, NULL);
    assert_true(json_array_size(preds) >= 2);
    assert_true(has(preds, "kite", NULL));
    assert_true(has(preds, "person", NULL));
    json_decref(preds);
    size_t len;
    char *bytes = dfx_slurp(png, &len);
    assert_non_null(bytes);
    edge_image im;
    char err[256];
    assert_int_equal(edge_image_decode(bytes, len, 40000000, &im, err, sizeof err), 0);
    assert_int_equal(im.width, 1352);
    assert_int_equal(im.height, 900);
    edge_image_free(&im);
    free(bytes);
    /* edgectl infer --image: the top classes of a classifier, with the daemon's labels */
    snprintf(cmd, sizeof cmd, "%s infer birds --image %s/images/parrot.jpg --top 3 --socket %s",
             EDGECTL, zoo, f.sock);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    assert_int_equal(strncmp(out, "923 Ara macao (Scarlet Macaw) 0.66", 34), 0);
    int lines = 0;
    for (const char *c = out; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 3);
    /* an option of the offline run, with a daemon's model */
    snprintf(cmd, sizeof cmd, "%s detect %s/images/owl.jpg --model yolo --socket %s --iou 0.3 2>&1",
             EDGECTL, zoo, f.sock);
    assert_int_equal(sh(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "takes them from its model.conf"));
    snprintf(cmd, sizeof cmd, "%s detect %s/images/owl.jpg --model birds --socket %s 2>&1", EDGECTL,
             zoo, f.sock);
    assert_int_equal(sh(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "cannot answer a detection"));
}

/* A JPEG published on MQTT v5 with content type image/jpeg: the objects (a detector) or the
 * classes (a classifier) come back as an OIP image request's answer; a cut JPEG, its error. */
static void test_mqtt_pictures(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    mqc *c = mqc_new(&B, "t-pictures", 5, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "edged/v/models", 1), 0);
    mqc_msg *m = mqc_wait_topic(c, "edged/v/models", 20000); /* edged is subscribed */
    assert_non_null(m);
    mqc_msg_free(m);
    assert_int_equal(mqc_subscribe(c, "test/pictures", 1), 0);
    static const struct {
        const char *model, *image, *ctype, *corr;
        int cut; /* bytes kept (0: all) */
        int status;
        const char *want;
    } cases[] = {
        {"yolo", "kite_and_cold.jpg", "image/jpeg", "kite", 0, 200, "\"kite\""},
        {"birds", "parrot.jpg", "image/jpeg", "parrot", 0, 200, ":Ara macao (Scarlet Macaw)"},
        {"yolo", "kite_and_cold.jpg", "image/jpeg", "cut", 20000, 400, "JPEG: truncated"},
        {"yolo", "owl.jpg", "image/png", "png?", 0, 400, "not a JPEG or PNG"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[1024], topic[128];
        snprintf(path, sizeof path, "%s/images/%s", zoo, cases[i].image);
        size_t len;
        char *bytes = dfx_slurp(path, &len);
        assert_non_null(bytes);
        if (cases[i].cut)
            len = (size_t)cases[i].cut;
        if (!strcmp(cases[i].ctype, "image/png")) /* a JPEG said to be a PNG: bytes decide */
            memset(bytes, 0, 4);
        snprintf(topic, sizeof topic, "edged/v/infer/%s", cases[i].model);
        const mqc_props p = {.response_topic = "test/pictures",
                             .corr = cases[i].corr,
                             .corr_len = strlen(cases[i].corr),
                             .content_type = cases[i].ctype};
        assert_int_equal(mqc_publish(c, topic, bytes, len, 1, false, &p), 0);
        free(bytes);
        m = mqc_wait_corr(c, cases[i].corr, strlen(cases[i].corr), 60000);
        if (!m)
            fail_msg("%s: no reply", cases[i].corr);
        assert_non_null(m->status);
        assert_int_equal(atoi(m->status), cases[i].status);
        assert_string_equal(m->content_type, "application/json");
        if (!strstr((char *)m->payload, cases[i].want))
            fail_msg("%s: '%.300s' lacks '%s'", cases[i].corr, m->payload, cases[i].want);
        mqc_msg_free(m);
    }
    mqc_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detection),
        cmocka_unit_test(test_python_form),
        cmocka_unit_test(test_scene_and_list),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_oip),
        cmocka_unit_test(test_edgectl),
        cmocka_unit_test(test_mqtt_pictures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
