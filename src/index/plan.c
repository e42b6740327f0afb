/* Query plans: a libpcap filter expression -> a tree of index lookups
 * (index.h). A small recursive-descent parser over libpcap's words; every
 * leaf is a superset of the chunks holding records the primitive matches,
 * AND/OR of supersets are supersets, and whatever it does not follow is
 * ALL. The libpcap rules that matter for that (pcap-filter(7), gencode.c):
 * - "and" and "or" have equal precedence, left to right; "not" binds
 *   tightest. "not X" is ALL.
 * - A bare value takes the qualifiers of the primitive before it
 *   ("port 80 or 443", "host a or b"); the first defaults to "host".
 * - "host X" is ip, arp and rarp host X (the builder keys ARP/RARP sender
 *   and target addresses); "net" the same over a prefix (a key range).
 * - "vlan", "mpls", "pppoes", "geneve" and "vxlan" move the offsets of
 *   every primitive after them in the text, whatever the and/or structure:
 *   those later primitives read other bytes than the builder keyed, so they
 *   are ALL. The first "vlan N" itself still reads the outer tag. */
#include "index/idxfmt.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_TOK 4096
#define MAX_NODES 2048
#define MAX_DEPTH 64
#define WORD_MAX 128

enum tok { T_END, T_WORD, T_LP, T_RP, T_NOT, T_AND, T_OR, T_OTHER };
enum op { N_ALL, N_RANGE, N_AND, N_OR };

struct pnode {
    uint8_t op;
    int l, r;                   /* N_AND, N_OR */
    struct idx_key lo, hi;      /* N_RANGE */
};

struct idx_plan {
    struct pnode *n;
    int nn, root;
    int depth;                  /* scratch sets eval needs */
};

struct token {
    enum tok t;
    char w[WORD_MAX];
};

enum qproto { QP_NONE, QP_IP, QP_IP6, QP_ARP, QP_L4, QP_OTHER };
enum qtype { QT_NONE, QT_HOST, QT_NET, QT_PORT, QT_PORTRANGE, QT_PROTO, QT_GATEWAY };

struct qual {
    enum qproto proto;
    uint8_t l4;                 /* QP_L4: the IP protocol */
    enum qtype type;
};

struct parser {
    struct token *tok;
    int ntok, pos, depth, maxdepth;
    bool fail;                  /* cannot follow: the whole plan is ALL */
    bool shifted;               /* a vlan/mpls/... came before: leaves are ALL */
    struct qual last;           /* for bare values */
    bool have_last;
    struct idx_plan *p;
};

/* ---- tokens ---- */

static bool word_char(int c)
{
    return isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-' || c == '\\' || c == '/';
}

static int tokenize(const char *s, struct token *tok, int max)
{
    int n = 0;
    while (*s) {
        if (isspace((unsigned char)*s)) {
            s++;
            continue;
        }
        if (n + 1 >= max)
            return -1;
        struct token *t = &tok[n++];
        t->w[0] = '\0';
        if (word_char((unsigned char)*s)) {
            size_t k = 0;
            while (word_char((unsigned char)*s)) {
                if (k + 1 >= WORD_MAX)
                    return -1;
                t->w[k++] = *s++;
            }
            t->w[k] = '\0';
            t->t = strcmp(t->w, "and") == 0 ? T_AND
                 : strcmp(t->w, "or") == 0 ? T_OR
                 : strcmp(t->w, "not") == 0 ? T_NOT : T_WORD;
        } else if (s[0] == '&' && s[1] == '&') {
            t->t = T_AND;
            s += 2;
        } else if (s[0] == '|' && s[1] == '|') {
            t->t = T_OR;
            s += 2;
        } else if (s[0] == '!' && s[1] != '=') {
            t->t = T_NOT;
            s++;
        } else if (*s == '(') {
            t->t = T_LP;
            s++;
        } else if (*s == ')') {
            t->t = T_RP;
            s++;
        } else {
            t->t = T_OTHER;     /* [ ] & | < > = != + - * / ... : relations */
            t->w[0] = *s;
            t->w[1] = '\0';
            s++;
        }
    }
    tok[n].t = T_END;
    tok[n].w[0] = '\0';
    return n;
}

static const struct token *peek(const struct parser *ps, int ahead)
{
    int i = ps->pos + ahead;
    return &ps->tok[i < ps->ntok ? i : ps->ntok];
}

static bool is_word(const struct parser *ps, int ahead, const char *w)
{
    const struct token *t = peek(ps, ahead);
    return t->t == T_WORD && strcmp(t->w, w) == 0;
}

/* ---- nodes ---- */

static int node(struct parser *ps, uint8_t op)
{
    struct idx_plan *p = ps->p;
    if (p->nn == MAX_NODES) {
        ps->fail = true;
        return 0;
    }
    struct pnode *n = &p->n[p->nn];
    memset(n, 0, sizeof(*n));
    n->op = op;
    return p->nn++;
}

static int all_node(struct parser *ps)
{
    return node(ps, N_ALL);
}

static int range_node(struct parser *ps, uint8_t kind, const uint8_t *lo, const uint8_t *hi)
{
    if (ps->shifted)
        return all_node(ps);
    int i = node(ps, N_RANGE);
    struct pnode *n = &ps->p->n[i];
    n->lo.kind = n->hi.kind = kind;
    n->lo.len = n->hi.len = idxf_klen[kind];
    memcpy(n->lo.v, lo, idxf_klen[kind]);
    memcpy(n->hi.v, hi, idxf_klen[kind]);
    return i;
}

static int key_node(struct parser *ps, uint8_t kind, const uint8_t *v)
{
    return range_node(ps, kind, v, v);
}

static int bin_node(struct parser *ps, uint8_t op, int l, int r)
{
    const struct pnode *a = &ps->p->n[l], *b = &ps->p->n[r];
    if (op == N_AND && a->op == N_ALL)
        return r;
    if (op == N_AND && b->op == N_ALL)
        return l;
    if (op == N_OR && a->op == N_ALL)
        return l;
    if (op == N_OR && b->op == N_ALL)
        return r;
    int i = node(ps, op);
    ps->p->n[i].l = l;
    ps->p->n[i].r = r;
    return i;
}

static int proto_node(struct parser *ps, unsigned proto)
{
    uint8_t v = (uint8_t)proto;
    return key_node(ps, IDX_K_PROTO, &v);
}

/* ---- values ---- */

static bool parse_num(const char *w, unsigned long max, unsigned long *v)
{
    char *e;
    if (!isdigit((unsigned char)w[0]))
        return false;
    errno = 0;
    *v = strtoul(w, &e, 0);
    return errno == 0 && *e == '\0' && *v <= max;
}

/* libpcap's protocol names after "proto" (with or without the backslash) */
static int l4_name(const char *w)
{
    static const struct { const char *n; int p; } names[] = {
        { "icmp", 1 }, { "igmp", 2 }, { "igrp", 9 }, { "tcp", 6 }, { "udp", 17 },
        { "sctp", 132 }, { "icmp6", 58 }, { "ah", 51 }, { "esp", 50 }, { "pim", 103 },
        { "vrrp", 112 }, { "carp", 112 },
    };
    if (w[0] == '\\')
        w++;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(w, names[i].n) == 0)
            return names[i].p;
    return -1;
}

/* a dotted IPv4 net as libpcap reads it: 1 to 4 decimal parts, left
 * aligned; *bits = 8 x parts */
static bool parse_v4net(const char *w, uint8_t a[4], unsigned *bits)
{
    unsigned parts = 0;
    memset(a, 0, 4);
    while (*w) {
        if (parts == 4 || !isdigit((unsigned char)*w))
            return false;
        unsigned long v = 0;
        while (isdigit((unsigned char)*w)) {
            v = v * 10 + (unsigned long)(*w++ - '0');
            if (v > 255)
                return false;
        }
        a[parts++] = (uint8_t)v;
        if (*w == '.') {
            w++;
            if (*w == '\0')
                return false;
        }
    }
    *bits = parts * 8;
    return parts > 0;
}

static void prefix_range(const uint8_t *a, unsigned len, unsigned bits, uint8_t *lo, uint8_t *hi)
{
    for (unsigned i = 0; i < len; i++) {
        unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;
        uint8_t m = keep ? (uint8_t)(0xff00u >> keep) : 0;
        lo[i] = a[i] & m;
        hi[i] = (uint8_t)(lo[i] | (uint8_t)~m);
    }
}

/* "net" ID [mask M]: a key range over IPv4 or IPv6 addresses */
static int net_leaf(struct parser *ps, const char *id)
{
    char buf[WORD_MAX];
    snprintf(buf, sizeof(buf), "%s", id);
    char *slash = strchr(buf, '/');
    unsigned long plen = 0;
    if (slash) {
        *slash = '\0';
        if (!parse_num(slash + 1, 128, &plen))
            return all_node(ps);
    }
    uint8_t a[16], lo[16], hi[16];
    unsigned bits;
    if (strchr(buf, ':')) {
        if (inet_pton(AF_INET6, buf, a) != 1 || is_word(ps, 0, "mask"))
            return all_node(ps);
        prefix_range(a, 16, slash ? (unsigned)plen : 128, lo, hi);
        return range_node(ps, IDX_K_IPV6, lo, hi);
    }
    if (!parse_v4net(buf, a, &bits))
        return all_node(ps);
    if (slash) {
        if (plen > 32)
            return all_node(ps);
        bits = (unsigned)plen;
    } else if (is_word(ps, 0, "mask")) {
        uint8_t m[4];
        ps->pos++;
        const struct token *t = peek(ps, 0);
        if (t->t != T_WORD || inet_pton(AF_INET, t->w, m) != 1)
            return all_node(ps);
        ps->pos++;
        uint32_t mm = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
        if (mm & (~mm >> 1))
            return all_node(ps);        /* not contiguous */
        bits = (unsigned)__builtin_popcount(mm);
    }
    prefix_range(a, 4, bits, lo, hi);
    return range_node(ps, IDX_K_IPV4, lo, hi);
}

/* One qualified value: q applied to the word id. */
static int value_leaf(struct parser *ps, const struct qual *q, const char *id)
{
    uint8_t v[16];
    unsigned long n, m;
    int leaf;
    switch (q->type) {
    case QT_NONE:
    case QT_HOST:
        if (q->proto != QP_NONE && q->proto != QP_IP && q->proto != QP_IP6 && q->proto != QP_ARP)
            return all_node(ps);
        if (inet_pton(AF_INET, id, v) == 1)
            return key_node(ps, IDX_K_IPV4, v);
        if (inet_pton(AF_INET6, id, v) == 1)
            return key_node(ps, IDX_K_IPV6, v);
        return all_node(ps);            /* a name, a MAC... */
    case QT_NET:
        if (q->proto != QP_NONE && q->proto != QP_IP && q->proto != QP_IP6 && q->proto != QP_ARP)
            return all_node(ps);
        return net_leaf(ps, id);
    case QT_PORT:
    case QT_PORTRANGE: {
        if (q->proto != QP_NONE && q->proto != QP_IP && q->proto != QP_IP6 && q->proto != QP_L4)
            return all_node(ps);
        char buf[WORD_MAX];
        snprintf(buf, sizeof(buf), "%s", id);
        char *dash = q->type == QT_PORTRANGE ? strchr(buf, '-') : NULL;
        if (dash)
            *dash = '\0';
        if (!parse_num(buf, 65535, &n) || (dash && !parse_num(dash + 1, 65535, &m)) ||
            (q->type == QT_PORTRANGE && !dash))
            return all_node(ps);        /* a service name */
        if (!dash)
            m = n;
        if (m < n) {
            unsigned long t = m;
            m = n;
            n = t;
        }
        uint8_t lo[2] = { (uint8_t)(n >> 8), (uint8_t)n }, hi[2] = { (uint8_t)(m >> 8), (uint8_t)m };
        leaf = range_node(ps, IDX_K_PORT, lo, hi);
        if (q->proto == QP_L4)
            leaf = bin_node(ps, N_AND, proto_node(ps, q->l4), leaf);
        return leaf;
    }
    case QT_PROTO: {
        if (q->proto != QP_NONE && q->proto != QP_IP && q->proto != QP_IP6)
            return all_node(ps);
        int pn = l4_name(id);
        if (pn < 0 && parse_num(id, 255, &n))
            pn = (int)n;
        return pn < 0 ? all_node(ps) : proto_node(ps, (unsigned)pn);
    }
    case QT_GATEWAY:
        return all_node(ps);
    }
    return all_node(ps);
}

/* ---- grammar ---- */

static int expr(struct parser *ps);

/* tokens of an arithmetic relation (tcp[13] & 2 != 0, len > 100) up to the
 * and/or/")" that ends it: ALL */
static int skip_relation(struct parser *ps)
{
    int depth = 0;
    for (;;) {
        const struct token *t = peek(ps, 0);
        if (t->t == T_END || ((t->t == T_AND || t->t == T_OR) && depth == 0) ||
            (t->t == T_RP && depth == 0))
            break;
        if (t->t == T_NOT) {
            ps->fail = true;            /* "!" inside a relation: do not guess */
            break;
        }
        if (t->t == T_LP)
            depth++;
        if (t->t == T_RP)
            depth--;
        ps->pos++;
    }
    return all_node(ps);
}

static bool set_proto(struct qual *q, const char *w)
{
    static const char *other[] = {
        "ether", "fddi", "tr", "wlan", "link", "ppp", "slip", "decnet", "atalk", "aarp",
        "iso", "clnp", "esis", "isis", "stp", "ipx", "netbeui", "lat", "sca", "moprc",
        "mopdl", "llc", "radio",
    };
    if (strcmp(w, "ip") == 0)
        q->proto = QP_IP;
    else if (strcmp(w, "ip6") == 0)
        q->proto = QP_IP6;
    else if (strcmp(w, "arp") == 0 || strcmp(w, "rarp") == 0)
        q->proto = QP_ARP;
    else if (strcmp(w, "tcp") == 0 || strcmp(w, "udp") == 0 || strcmp(w, "sctp") == 0 ||
             strcmp(w, "icmp") == 0 || strcmp(w, "icmp6") == 0 || strcmp(w, "igmp") == 0 ||
             strcmp(w, "igrp") == 0 || strcmp(w, "pim") == 0 || strcmp(w, "vrrp") == 0 ||
             strcmp(w, "carp") == 0 || strcmp(w, "ah") == 0 || strcmp(w, "esp") == 0) {
        q->proto = QP_L4;
        q->l4 = (uint8_t)l4_name(w);
    } else {
        for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
            if (strcmp(w, other[i]) == 0) {
                q->proto = QP_OTHER;
                return true;
            }
        return false;
    }
    return true;
}

static bool set_type(struct qual *q, const char *w)
{
    static const struct { const char *n; enum qtype t; } types[] = {
        { "host", QT_HOST }, { "net", QT_NET }, { "port", QT_PORT },
        { "portrange", QT_PORTRANGE }, { "proto", QT_PROTO }, { "gateway", QT_GATEWAY },
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(w, types[i].n) == 0) {
            q->type = types[i].t;
            return true;
        }
    return false;
}

static bool is_dir(const char *w)
{
    return strcmp(w, "src") == 0 || strcmp(w, "dst") == 0;
}

/* the words that shift libpcap's offsets, each with an optional number */
static bool shift_word(const char *w)
{
    return strcmp(w, "vlan") == 0 || strcmp(w, "mpls") == 0 || strcmp(w, "pppoes") == 0 ||
           strcmp(w, "geneve") == 0 || strcmp(w, "vxlan") == 0;
}

static int primitive(struct parser *ps)
{
    const struct token *t = peek(ps, 0);
    unsigned long n;
    if (t->t != T_WORD) {
        ps->fail = true;
        return all_node(ps);
    }
    /* relations */
    if (peek(ps, 1)->t == T_OTHER || strcmp(t->w, "len") == 0)
        return skip_relation(ps);
    if (shift_word(t->w)) {
        bool vlan = strcmp(t->w, "vlan") == 0;
        int leaf;
        ps->pos++;
        const struct token *a = peek(ps, 0);
        if (a->t == T_WORD && isdigit((unsigned char)a->w[0])) {
            ps->pos++;
            if (vlan && parse_num(a->w, 4095, &n)) {
                uint8_t v[2] = { (uint8_t)(n >> 8), (uint8_t)n };
                leaf = key_node(ps, IDX_K_VLAN, v);
            } else {
                leaf = all_node(ps);
            }
        } else {
            leaf = all_node(ps);
        }
        ps->shifted = true;
        return leaf;
    }
    if (strcmp(t->w, "less") == 0 || strcmp(t->w, "greater") == 0) {
        ps->pos++;
        if (peek(ps, 0)->t != T_WORD)
            ps->fail = true;
        ps->pos++;
        return all_node(ps);
    }
    static const char *alone[] = { "broadcast", "multicast", "inbound", "outbound" };
    for (size_t i = 0; i < sizeof(alone) / sizeof(alone[0]); i++)
        if (strcmp(t->w, alone[i]) == 0) {
            ps->pos++;
            return all_node(ps);
        }

    /* [proto] [dir] [type] ID, or proto alone, or a bare ID */
    struct qual q = { QP_NONE, 0, QT_NONE };
    bool any = false;
    if (set_proto(&q, t->w)) {
        ps->pos++;
        any = true;
        if (peek(ps, 0)->t == T_OTHER)
            return skip_relation(ps);   /* tcp[13] ... */
    }
    if (peek(ps, 0)->t == T_WORD && is_dir(peek(ps, 0)->w)) {
        ps->pos++;
        any = true;
        /* "src or dst", "src and dst" */
        if ((peek(ps, 0)->t == T_OR || peek(ps, 0)->t == T_AND) && peek(ps, 1)->t == T_WORD &&
            is_dir(peek(ps, 1)->w))
            ps->pos += 2;
    }
    if (peek(ps, 0)->t == T_WORD && set_type(&q, peek(ps, 0)->w)) {
        ps->pos++;
        any = true;
    }
    t = peek(ps, 0);
    if (q.type != QT_NONE) {
        if (t->t != T_WORD) {
            ps->fail = true;
            return all_node(ps);
        }
        ps->pos++;
        ps->last = q;
        ps->have_last = true;
        return value_leaf(ps, &q, t->w);
    }
    if (any) {
        if (t->t == T_WORD && (strcmp(t->w, "broadcast") == 0 || strcmp(t->w, "multicast") == 0)) {
            ps->pos++;
            return all_node(ps);
        }
        if (t->t == T_WORD && t->w[0] != '\0' && (isdigit((unsigned char)t->w[0]) || strchr(t->w, ':'))) {
            /* "ip 10.0.0.1", "src 10.0.0.1": an ID with the default type host */
            ps->pos++;
            q.type = QT_HOST;
            ps->last = q;
            ps->have_last = true;
            return value_leaf(ps, &q, t->w);
        }
        /* a protocol alone */
        if (q.proto == QP_L4)
            return proto_node(ps, q.l4);
        if (q.proto == QP_NONE)
            ps->fail = true;            /* a direction alone */
        return all_node(ps);
    }
    /* a bare ID: the qualifiers of the primitive before, else host */
    ps->pos++;
    struct qual bare = ps->have_last ? ps->last : (struct qual){ QP_NONE, 0, QT_HOST };
    if (!isdigit((unsigned char)t->w[0]) && !strchr(t->w, ':') && !ps->have_last) {
        ps->fail = true;                /* an unknown word */
        return all_node(ps);
    }
    return value_leaf(ps, &bare, t->w);
}

static int unary(struct parser *ps)
{
    if (++ps->depth > MAX_DEPTH) {
        ps->fail = true;
        ps->depth--;
        return all_node(ps);
    }
    if (ps->depth > ps->maxdepth)
        ps->maxdepth = ps->depth;
    int r;
    const struct token *t = peek(ps, 0);
    if (t->t == T_NOT) {
        ps->pos++;
        (void)unary(ps);                /* parsed for its words (shifts), then dropped */
        r = all_node(ps);
    } else if (t->t == T_LP) {
        ps->pos++;
        r = expr(ps);
        if (peek(ps, 0)->t != T_RP)
            ps->fail = true;
        else
            ps->pos++;
    } else {
        r = primitive(ps);
    }
    ps->depth--;
    return r;
}

static int expr(struct parser *ps)
{
    int l = unary(ps);
    while (!ps->fail) {
        const struct token *t = peek(ps, 0);
        if (t->t != T_AND && t->t != T_OR)
            break;
        ps->pos++;
        int r = unary(ps);
        l = bin_node(ps, t->t == T_AND ? N_AND : N_OR, l, r);
    }
    return l;
}

/* sets eval needs below node i: the right operand of each AND/OR holds one
 * while the left result waits */
static int scratch_sets(const struct idx_plan *p, int i)
{
    const struct pnode *n = &p->n[i];
    if (n->op != N_AND && n->op != N_OR)
        return 0;
    int l = scratch_sets(p, n->l), r = 1 + scratch_sets(p, n->r);
    return l > r ? l : r;
}

int idx_plan_compile(const char *expr_text, struct idx_plan **out, char *err, size_t errlen)
{
    struct idx_plan *p = calloc(1, sizeof(*p));
    struct token *tok = calloc(MAX_TOK, sizeof(*tok));
    if (p == NULL || tok == NULL || (p->n = calloc(MAX_NODES, sizeof(*p->n))) == NULL) {
        free(tok);
        idx_plan_free(p);
        if (err && errlen)
            snprintf(err, errlen, "index plan: out of memory");
        return -ENOMEM;
    }
    struct parser ps = { .tok = tok, .p = p };
    ps.ntok = expr_text ? tokenize(expr_text, tok, MAX_TOK) : 0;
    if (ps.ntok < 0)
        ps.fail = true;
    else if (ps.ntok > 0) {
        p->root = expr(&ps);
        if (peek(&ps, 0)->t != T_END)
            ps.fail = true;
    } else {
        p->root = node(&ps, N_ALL);     /* empty: every record */
    }
    if (ps.fail) {
        p->nn = 0;
        ps.fail = false;
        ps.shifted = false;
        p->root = node(&ps, N_ALL);
        ps.maxdepth = 0;
    }
    p->depth = scratch_sets(p, p->root);
    free(tok);
    *out = p;
    return 0;
}

void idx_plan_free(struct idx_plan *p)
{
    if (p == NULL)
        return;
    free(p->n);
    free(p);
}

bool idx_plan_all(const struct idx_plan *p)
{
    return p == NULL || p->n[p->root].op == N_ALL;
}

void idx_plan_prefetch(const struct idx_plan *p, const struct idx *x)
{
    if (idx_plan_all(p))
        return;
    for (int i = 0; i < p->nn; i++)
        if (p->n[i].op == N_RANGE)
            idx_prefetch(x, &p->n[i].lo, &p->n[i].hi);
}

static void set_all(const struct idx *x, uint64_t *out)
{
    size_t w = idx_set_words(x);
    memset(out, 0, w * sizeof(*out));
    for (uint32_t i = 0; i < x->nchunks / 64; i++)
        out[i] = ~0ull;
    if (x->nchunks % 64)
        out[x->nchunks / 64] = (1ull << (x->nchunks % 64)) - 1;
}

/* node i into out; scratch: one set per level below */
static void eval(const struct idx_plan *p, int i, const struct idx *x, uint64_t *out,
                 uint64_t *scratch, size_t words)
{
    const struct pnode *n = &p->n[i];
    switch (n->op) {
    case N_ALL:
        set_all(x, out);
        return;
    case N_RANGE:
        idx_lookup_range(x, &n->lo, &n->hi, out);
        return;
    case N_AND:
    case N_OR:
        eval(p, n->l, x, out, scratch, words);
        eval(p, n->r, x, scratch, scratch + words, words);
        for (size_t w = 0; w < words; w++)
            out[w] = n->op == N_AND ? out[w] & scratch[w] : out[w] | scratch[w];
        return;
    }
}

void idx_plan_eval(const struct idx_plan *p, const struct idx *x, uint64_t *out)
{
    size_t words = idx_set_words(x);
    if (idx_plan_all(p)) {
        set_all(x, out);
        return;
    }
    /* an AND/OR node at each level of the parse needs one set */
    uint64_t *scratch = malloc((size_t)(p->depth + 1) * words * sizeof(*scratch));
    if (scratch == NULL) {
        set_all(x, out);                /* never wrong */
        return;
    }
    eval(p, p->root, x, out, scratch, words);
    idx_opaque(x, scratch);
    for (size_t w = 0; w < words; w++)
        out[w] |= scratch[w];
    free(scratch);
}
