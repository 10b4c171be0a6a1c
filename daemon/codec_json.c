/* daemon/codec_json.c - the bounded JSON front of the inference request parser.
 *
 * Owns: the scan that counts a request's values before any DOM exists (for
 * the 413 bound), finds the "data" arrays of $.inputs[*] in the fast form
 * (numbers, true, false, null and arrays, nothing else) and checks them as
 * jansson would (grammar, integer and real overflow); $.parameters.sequence_id
 * as an integer literal past int64 (jansson refuses those: "too big integer");
 * the load of the rest of the document by jansson, where each such array reads
 * as "[]" padded with the same newlines and columns and that literal as "0"
 * padded with spaces, so that every error message, line and column is
 * jansson's own on the whole text; the walk of a span's elements (numbers
 * converted as jansson converts them: strtoll, strtod).
 * The scan is lenient: it never stops at a syntax error (jansson reports
 * those); its counts bound what jansson may build from the text.
 * Does not own: what the values mean, limits and messages (codec_infer.c). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec_json.h"

/* Nesting that the fast form takes; deeper arrays go to jansson (the request
 * fails anyway: codec_infer.c refuses more than 32). */
#define FAST_MAX_DEPTH 64

enum { K_NONE, K_OTHER, K_INPUTS, K_DATA, K_PARAMS, K_SEQ_ID };

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Ends a token of the fast form: whitespace, ',' or ']'. */
static bool is_end(const uint8_t *p, size_t at, size_t len)
{
    return at < len && (is_ws(p[at]) || p[at] == ',' || p[at] == ']');
}

/* ---------------------------------------------------------------- the fast form */

/* Digits from AT; their count. */
static size_t digits(const uint8_t *p, size_t at, size_t len)
{
    size_t n = 0;
    while (at + n < len && is_digit(p[at + n]))
        n++;
    return n;
}

/* A real that jansson's strtod would find too large (it refuses +-HUGE_VAL). */
static bool real_overflows(const uint8_t *p, size_t len)
{
    char buf[512];
    if (len >= sizeof buf)
        return true; /* long reals: jansson decides */
    memcpy(buf, p, len);
    buf[len] = 0;
    errno = 0;
    const double v = strtod(buf, NULL);
    return (v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE;
}

/* A number at AT in jansson's grammar that jansson takes (no integer or real
 * overflow), followed by the end of a token: its length, else 0. */
static size_t fast_number(const uint8_t *p, size_t at, size_t len)
{
    size_t i = at;
    if (p[i] == '-')
        i++;
    const size_t int_digits = digits(p, i, len);
    if (int_digits == 0 || (p[i] == '0' && int_digits > 1))
        return 0;
    i += int_digits;
    bool real = false;
    long exp10 = 0;
    if (i < len && p[i] == '.') {
        const size_t n = digits(p, i + 1, len);
        if (n == 0)
            return 0;
        i += 1 + n;
        real = true;
    }
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        size_t j = i + 1;
        const bool neg = j < len && p[j] == '-';
        if (j < len && (p[j] == '+' || p[j] == '-'))
            j++;
        const size_t n = digits(p, j, len);
        if (n == 0)
            return 0;
        for (size_t k = 0; k < n && exp10 < 100000; k++)
            exp10 = exp10 * 10 + (p[j + k] - '0');
        if (neg)
            exp10 = -exp10;
        i = j + n;
        real = true;
    }
    if (!is_end(p, i, len))
        return 0;
    if (!real) {
        const size_t sig = int_digits;
        if (sig >= 19) { /* strtoll decides, as in jansson */
            char buf[32];
            if (i - at >= sizeof buf)
                return 0;
            memcpy(buf, p + at, i - at);
            buf[i - at] = 0;
            errno = 0;
            (void)strtoll(buf, NULL, 10);
            if (errno == ERANGE)
                return 0;
        }
        return i - at;
    }
    /* below 10^307 the double is finite; above, ask strtod as jansson does */
    if ((long)int_digits + exp10 > 300 && real_overflows(p + at, i - at))
        return 0;
    return i - at;
}

/* true, false or null at AT (jansson reads a whole run of letters). */
static size_t fast_literal(const uint8_t *p, size_t at, size_t len)
{
    size_t n = 0;
    while (at + n < len && is_alpha(p[at + n]))
        n++;
    const bool ok = (n == 4 && memcmp(p + at, "true", 4) == 0) ||
                    (n == 5 && memcmp(p + at, "false", 5) == 0) ||
                    (n == 4 && memcmp(p + at, "null", 4) == 0);
    return ok && is_end(p, at + n, len) ? n : 0;
}

typedef struct fast_res {
    size_t end;    /* after the closing ']'; 0: not the fast form */
    size_t bad_at; /* where it stopped being the fast form */
    size_t values, arrays;
} fast_res;

/* The array at AT (p[AT] == '[') in the fast form. */
static fast_res fast_array(const uint8_t *p, size_t at, size_t len)
{
    fast_res r = {0};
    enum { VALUE_OR_CLOSE, VALUE, SEP } want = VALUE;
    int depth = 0;
    size_t i = at;
    while (i < len) {
        const uint8_t c = p[i];
        if (is_ws(c)) {
            i++;
            continue;
        }
        if (want == SEP) {
            if (c == ',') {
                want = VALUE;
                i++;
                continue;
            }
            if (c != ']')
                break;
        }
        if (c == ']') {
            if (want == VALUE)
                break; /* "[1,]" */
            i++;
            if (--depth == 0) {
                r.end = i;
                return r;
            }
            want = SEP;
            continue;
        }
        size_t n = 0;
        if (c == '[') {
            if (++depth > FAST_MAX_DEPTH)
                break;
            r.arrays++;
            want = VALUE_OR_CLOSE;
            i++;
            continue;
        }
        if (c == '-' || is_digit(c))
            n = fast_number(p, i, len);
        else if (c == 't' || c == 'f' || c == 'n')
            n = fast_literal(p, i, len);
        if (n == 0)
            break;
        r.values++;
        want = SEP;
        i += n;
    }
    r.end = 0;
    r.bad_at = i;
    return r;
}

/* ---------------------------------------------------------------- the scan */

typedef struct scanner {
    dm_jscan *s;
    const uint8_t *p;
    size_t len, i;
    int depth;
    int path;       /* levels of $.inputs[*] open: 1 the root, 2 inputs, 3 an input */
    size_t elem;    /* index in "inputs" */
    int pend;       /* K_*: the key whose ':' came last, its value not yet begun */
    int data_depth; /* > 0: inside a "data" array not in the fast form */
    bool params;    /* inside the object $.parameters (depth 2) */
} scanner;

static int add_span(dm_jscan *s, size_t at, size_t end, size_t elem)
{
    if (s->n_spans == s->cap) {
        const size_t cap = s->cap ? 2 * s->cap : 8;
        dm_jspan *n = realloc(s->spans, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        s->spans = n;
        s->cap = cap;
    }
    s->spans[s->n_spans++] = (dm_jspan){.at = at, .end = end, .elem = elem};
    return 0;
}

static void count_value(scanner *sc)
{
    if (sc->data_depth)
        sc->s->n.data_values++;
    else
        sc->s->n.other++;
}

/* A "data" array of an input at i: 0 and a span past which i moves when it is
 * in the fast form; 1 (i unmoved) when it is not: its contents are then
 * counted leniently, as data. -ENOMEM. */
static int data_array(scanner *sc)
{
    const size_t at = sc->i;
    const fast_res r = fast_array(sc->p, at, sc->len);
    if (r.end) {
        sc->s->n.data_values += r.values;
        sc->s->n.data_arrays += r.arrays;
        sc->i = r.end;
        return add_span(sc->s, at, r.end, sc->elem);
    }
    if (!sc->s->slow) {
        sc->s->slow = true;
        sc->s->slow_at = r.bad_at;
    }
    sc->data_depth = sc->depth + 1;
    return 1;
}

static int open_container(scanner *sc, uint8_t c)
{
    const int d = sc->depth, pend = sc->pend;
    sc->pend = K_NONE;
    if (d == 3 && sc->path == 3 && c == '[' && pend == K_DATA) {
        const int rc = data_array(sc);
        if (rc <= 0)
            return rc;
    }
    if (sc->data_depth)
        sc->s->n.data_arrays++;
    else
        sc->s->n.other++;
    if (d == 1 && sc->path == 1 && c == '{' && pend == K_PARAMS)
        sc->params = true;
    if (d == 0 && c == '{')
        sc->path = 1;
    else if (d == 1 && sc->path == 1 && c == '[' && pend == K_INPUTS)
        sc->path = 2, sc->elem = 0;
    else if (d == 2 && sc->path == 2 && c == '{')
        sc->path = 3;
    sc->depth++;
    sc->i++;
    return 0;
}

static void close_container(scanner *sc)
{
    sc->pend = K_NONE;
    if (sc->depth > 0) {
        if (sc->data_depth == sc->depth)
            sc->data_depth = 0;
        sc->depth--;
        if (sc->path > sc->depth)
            sc->path = sc->depth;
        if (sc->depth < 2)
            sc->params = false;
    }
    sc->i++;
}

/* A string at i: skip it; a key (':' follows) sets pend. */
static void string_token(scanner *sc)
{
    const size_t start = ++sc->i;
    bool escaped = false;
    while (sc->i < sc->len && sc->p[sc->i] != '"') {
        if (sc->p[sc->i] == '\\') {
            escaped = true;
            sc->i++;
        }
        sc->i++;
    }
    const size_t n = (sc->i < sc->len ? sc->i : sc->len) - start;
    sc->s->n.str_bytes += n;
    if (sc->i < sc->len)
        sc->i++;
    size_t j = sc->i;
    while (j < sc->len && is_ws(sc->p[j]))
        j++;
    const bool key = j < sc->len && sc->p[j] == ':';
    sc->pend = K_NONE;
    if (!key) {
        count_value(sc);
        return;
    }
    sc->s->n.other++;
    /* an escaped key may spell "inputs" or "data": jansson then builds that
     * member, bounded as other values are */
    const uint8_t *k = sc->p + start;
    if (!escaped && sc->depth == 1 && sc->path == 1 && n == 6 && memcmp(k, "inputs", 6) == 0)
        sc->pend = K_INPUTS;
    else if (!escaped && sc->depth == 3 && sc->path == 3 && n == 4 && memcmp(k, "data", 4) == 0)
        sc->pend = K_DATA;
    else if (!escaped && sc->depth == 1 && sc->path == 1 && n == 10 &&
             memcmp(k, "parameters", 10) == 0)
        sc->pend = K_PARAMS;
    else if (!escaped && sc->depth == 2 && sc->params && n == 11 &&
             memcmp(k, "sequence_id", 11) == 0)
        sc->pend = K_SEQ_ID;
    else
        sc->pend = K_OTHER;
    sc->i = j + 1; /* past the ':': the value comes next */
}

/* The token [AT, END) as $.parameters.sequence_id: recorded in S->seq_id when
 * it is an integer in JSON's grammar that jansson's int64 cannot hold. */
static void sequence_id_token(dm_jscan *s, const uint8_t *p, size_t at, size_t end)
{
    const bool neg = p[at] == '-';
    const size_t d = at + neg, n = end - d;
    if (n == 0 || digits(p, d, end) != n || (p[d] == '0' && n > 1) || n < 19)
        return; /* not an integer literal, or one that fits (below 10^18) */
    char buf[24];
    const bool long_one = end - at >= sizeof buf;
    if (!long_one) {
        memcpy(buf, p + at, end - at);
        buf[end - at] = 0;
        errno = 0;
        (void)strtoll(buf, NULL, 10);
        if (errno != ERANGE)
            return; /* jansson holds it */
    }
    dm_jbig b = {.at = at, .len = end - at, .negative = neg};
    if (!neg) {
        errno = 0;
        b.value = long_one ? 0 : strtoull(buf, NULL, 10);
        b.too_big = long_one || errno == ERANGE;
    }
    s->seq_id = b; /* the last one, as jansson keeps the last of a duplicated key */
}

/* Numbers, literals, anything else up to the next delimiter: one value. */
static void scalar_token(scanner *sc)
{
    const size_t at = sc->i;
    const bool seq_id = sc->pend == K_SEQ_ID;
    while (sc->i < sc->len) {
        const uint8_t c = sc->p[sc->i];
        if (is_ws(c) || c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',' ||
            c == '"')
            break;
        sc->i++;
    }
    if (seq_id)
        sequence_id_token(sc->s, sc->p, at, sc->i);
    sc->pend = K_NONE;
    count_value(sc);
}

int dm_jscan_run(dm_jscan *s, const uint8_t *text, size_t len)
{
    *s = (dm_jscan){0};
    scanner sc = {.s = s, .p = text, .len = len};
    while (sc.i < len) {
        const uint8_t c = text[sc.i];
        int rc = 0;
        if (is_ws(c)) {
            sc.i++;
        } else if (c == '{' || c == '[') {
            rc = open_container(&sc, c);
        } else if (c == '}' || c == ']') {
            close_container(&sc);
        } else if (c == ',') {
            if (sc.depth == 2 && sc.path == 2)
                sc.elem++;
            sc.pend = K_NONE;
            sc.i++;
        } else if (c == ':') {
            sc.i++; /* a stray ':' (keys consume theirs) */
        } else if (c == '"') {
            string_token(&sc);
        } else {
            scalar_token(&sc);
        }
        if (rc < 0) {
            dm_jscan_free(s);
            return rc;
        }
    }
    return 0;
}

void dm_jscan_free(dm_jscan *s)
{
    free(s->spans);
    s->spans = NULL;
    s->n_spans = s->cap = 0;
}

const dm_jspan *dm_jscan_span(const dm_jscan *s, size_t elem)
{
    size_t lo = 0, hi = s->n_spans; /* spans are in text order: ELEM grows */
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (s->spans[mid].elem < elem)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n_spans && s->spans[lo].elem == elem ? &s->spans[lo] : NULL;
}

/* ---------------------------------------------------------------- loading the rest */

/* The text as jansson reads it: spans replaced by '[', their newlines, the
 * spaces that keep the next token's column (EXACT; else none), ']'; the
 * sequence id past int64 by '0' and spaces. */
typedef struct feed {
    const dm_jscan *s;
    const uint8_t *p;
    size_t len;
    bool exact;
    size_t n_spans; /* the spans replaced: S's, or none */
    bool big;       /* S->seq_id is still ahead */
    size_t at;      /* next text byte to copy */
    size_t span;    /* next span */
    /* the replacement being written */
    bool in_repl;
    int stage; /* 0 '[', 1 newlines, 2 spaces, 3 ']' */
    size_t nl, sp;
} feed;

static void repl_start(feed *f, const dm_jspan *sp)
{
    size_t nl = 0, last = sp->at;
    for (size_t i = sp->at; i < sp->end; i++)
        if (f->p[i] == '\n')
            nl++, last = i;
    f->nl = nl;
    if (!f->exact)
        f->sp = 0;
    else
        f->sp = nl ? sp->end - last - 2 : sp->end - sp->at - 2; /* spans are ASCII */
    f->in_repl = true;
    f->stage = 0;
}

/* Up to N bytes of the replacement into OUT. */
static size_t repl_write(feed *f, char *out, size_t n)
{
    size_t w = 0;
    while (w < n && f->in_repl) {
        switch (f->stage) {
        case 0:
            out[w++] = '[';
            f->stage = 1;
            break;
        case 1:
            for (; f->nl && w < n; f->nl--)
                out[w++] = '\n';
            if (!f->nl)
                f->stage = 2;
            break;
        case 2:
            for (; f->sp && w < n; f->sp--)
                out[w++] = ' ';
            if (!f->sp)
                f->stage = 3;
            break;
        default:
            out[w++] = ']';
            f->in_repl = false;
            break;
        }
    }
    return w;
}

static size_t feed_cb(void *buffer, size_t buflen, void *data)
{
    feed *f = data;
    char *out = buffer;
    size_t w = 0;
    while (w < buflen) {
        if (f->in_repl) {
            w += repl_write(f, out + w, buflen - w);
            continue;
        }
        const dm_jspan *sp = f->span < f->n_spans ? &f->s->spans[f->span] : NULL;
        const dm_jbig *b = &f->s->seq_id;
        size_t stop = sp ? sp->at : f->len;
        if (f->big && b->at < stop)
            stop = b->at; /* (never inside a span: it is in $.parameters) */
        if (f->at < stop) {
            size_t n = stop - f->at;
            if (n > buflen - w)
                n = buflen - w;
            memcpy(out + w, f->p + f->at, n);
            f->at += n;
            w += n;
            continue;
        }
        if (f->big && f->at == b->at) { /* same length, so columns stay */
            for (; w < buflen && f->at < b->at + b->len; f->at++)
                out[w++] = f->at == b->at ? '0' : ' ';
            f->big = f->at < b->at + b->len;
            continue;
        }
        if (!sp)
            break;
        repl_start(f, sp);
        f->at = sp->end;
        f->span++;
    }
    return w;
}

static json_t *load_fed(const dm_jscan *s, const uint8_t *text, size_t len, bool exact,
                        size_t flags, json_error_t *je)
{
    feed f = {.s = s,
              .p = text,
              .len = len,
              .exact = exact,
              .n_spans = s->slow ? 0 : s->n_spans,
              .big = s->seq_id.len > 0};
    return json_load_callback(feed_cb, &f, flags, je);
}

json_t *dm_jscan_load(const dm_jscan *s, const uint8_t *text, size_t len, size_t flags,
                      json_error_t *je)
{
    if (s->slow || s->n_spans == 0)
        return s->seq_id.len ? load_fed(s, text, len, true, flags, je)
                             : json_loadb((const char *)text, len, flags, je);
    /* compact first; only an error needs the columns after a span exactly */
    json_t *root = load_fed(s, text, len, false, flags, je);
    return root ? root : load_fed(s, text, len, true, flags, je);
}

void dm_json_position(const uint8_t *text, size_t at, int *line, int *column)
{
    int l = 1, col = 0;
    for (size_t i = 0; i <= at && text[i]; i++) {
        if (text[i] == '\n')
            l++, col = 0;
        else if (text[i] < 0x80 || text[i] >= 0xC2)
            col++;
    }
    *line = l;
    *column = col;
}

/* ---------------------------------------------------------------- walking a span */

void dm_jiter_init(dm_jiter *it, const uint8_t *text, const dm_jspan *sp)
{
    it->p = text + sp->at;
    it->end = text + sp->end;
}

/* The number at it->p (checked by the scan). */
static dm_jev iter_number(dm_jiter *it)
{
    const uint8_t *s = it->p, *q = s;
    bool real = false;
    while (q < it->end &&
           (is_digit(*q) || *q == '-' || *q == '+' || *q == '.' || *q == 'e' || *q == 'E')) {
        real |= *q == '.' || *q == 'e' || *q == 'E';
        q++;
    }
    it->p = q;
    if (real) {
        it->r = strtod((const char *)s, NULL); /* stops at the delimiter after it */
        return DM_JEV_REAL;
    }
    const bool neg = *s == '-';
    if (q - s - neg > 18) {
        it->i = strtoll((const char *)s, NULL, 10);
        return DM_JEV_INT;
    }
    long long v = 0;
    for (const uint8_t *d = s + neg; d < q; d++)
        v = v * 10 + (*d - '0');
    it->i = neg ? -v : v;
    return DM_JEV_INT;
}

dm_jev dm_jiter_next(dm_jiter *it)
{
    while (it->p < it->end && (is_ws(*it->p) || *it->p == ','))
        it->p++;
    if (it->p >= it->end)
        return DM_JEV_END;
    switch (*it->p) {
    case '[': it->p++; return DM_JEV_OPEN;
    case ']': it->p++; return DM_JEV_CLOSE;
    case 't': it->p += 4; return DM_JEV_TRUE;
    case 'f': it->p += 5; return DM_JEV_FALSE;
    case 'n': it->p += 4; return DM_JEV_NULL;
    default: return iter_number(it);
    }
}
