/* batch_internal.h - the batch builder's insides, shared by the files of
 * native/src/encode. Private to libpgcdc.
 *
 * The builder holds the batch directly as protobuf-c structs allocated in its
 * arena (values, arrays and strings included), so encoding is one
 * get_packed_size + pack over them and reset frees everything at once.
 */
#ifndef PGCDC_BATCH_INTERNAL_H
#define PGCDC_BATCH_INTERNAL_H

#include "pgcdc/arena.h"
#include "pgcdc/batch.h"

#include "change_batch.pb-c.h"

typedef Pgcdc__V1__Record batch_record;
typedef Pgcdc__V1__Transaction batch_txn;
typedef Pgcdc__V1__RowChange batch_change;
typedef Pgcdc__V1__Value batch_value;
typedef Pgcdc__V1__Column batch_column;

/* What every fragment of the open transaction repeats. Kept outside the arena
 * so that it survives reset (a transaction cut by encode_split goes on). */
typedef struct batch_txn_header {
    uint32_t xid;
    pgcdc_lsn commit_lsn;
    pgcdc_lsn begin_lsn;
    int64_t commit_time_unix_us;
    bool streamed;
    bool prepared;
    char *gid;          /* malloc'd, or NULL */
    char *origin_name;  /* malloc'd, or NULL */
    pgcdc_lsn origin_lsn;
    uint32_t fragment_index;
} batch_txn_header;

/* Arena copies of a relation's names, so that every change of a relation
 * points at one copy per batch. */
typedef struct batch_relname {
    uint32_t relid;     /* 0: empty slot */
    char *schema;
    char *table;
} batch_relname;

/* Names of non-built-in types from Type messages (few; kept across batches). */
typedef struct batch_typename {
    uint32_t oid;
    char *schema;
    char *name;
} batch_typename;

struct pgcdc_batch_builder {
    pgcdc_arena arena;
    char *source_database;
    bool typed_values;

    batch_record **records;   /* in order; while a transaction is open its record is last */
    size_t nrecords, records_cap;

    batch_txn *txn;           /* the open transaction's current fragment, or NULL */
    batch_txn_header hdr;     /* valid while txn != NULL */
    size_t changes_cap, messages_cap;

    Pgcdc__V1__SnapshotRows *open_rows; /* rows may still be appended to it */
    size_t rows_cap;
    pgcdc_column *open_cols;  /* its column types (arena) */
    int open_ncols;

    batch_relname *relnames;  /* open addressing by relid, capacity a power of two */
    size_t relnames_cap, nrelnames;

    batch_typename *types;
    size_t ntypes, types_cap;

    size_t bytes;             /* approximate encoded size */
    uint64_t nchanges;
    uint64_t nrows;
    pgcdc_lsn confirm_lsn;
};

/* Room for one more pointer in an arena array of n (capacity *cap): the same
 * array, or a copy of twice the size (the old copy stays in the arena until
 * reset: a few percent of a batch). NULL when out of memory (*cap unchanged). */
void *batch_grow(pgcdc_arena *a, void *arr, size_t n, size_t *cap);

/* Appends item to an arena array of pointers; rc = 0, or -1 out of memory. */
#define BATCH_PUSH(b, arr, n, cap, item, rc) do {                      \
        (rc) = 0;                                                       \
        if ((n) == (cap)) {                                             \
            void *g_ = batch_grow(&(b)->arena, (arr), (n), &(cap));     \
            if (!g_) { (rc) = -1; break; }                              \
            (arr) = g_;                                                 \
        }                                                               \
        (arr)[(n)++] = (item);                                          \
    } while (0)

/* Adds a record that is not part of the open transaction, keeping WAL order
 * (see pgcdc_batch_add_event). */
int batch_add_toplevel(pgcdc_batch_builder *b, batch_record *rec);

/* Arena copies of the values of t, typed by cols (ncols of them; a value past
 * them, or with cols NULL, is kept as sent). Adds their size to b->bytes.
 * PGCDC_EINVAL for a value kind other than n/u/t/b. */
pgcdc_code batch_copy_values(pgcdc_batch_builder *b, const pgcdc_tuple *t, const pgcdc_column *cols, int ncols,
                             batch_value ***out, size_t *nout, pgcdc_error *err);

/* relid's names as arena strings, copied once per batch (relid 0: not cached). */
int batch_relnames(pgcdc_batch_builder *b, uint32_t relid, const char *nspname, const char *relname,
                   char **schema, char **table);

/* Opens a transaction described by h (copied), closes the open one. */
int batch_open_txn(pgcdc_batch_builder *b, const batch_txn_header *h);
void batch_close_txn(pgcdc_batch_builder *b, pgcdc_lsn end_lsn, int64_t commit_time_unix_us);

/* An arena Column from a decoder column (type names from Type messages). */
batch_column *batch_copy_column(pgcdc_batch_builder *b, const pgcdc_column *c);

/* Arena string copy; NULL stays NULL (an unset protobuf string). */
char *batch_strdup(pgcdc_batch_builder *b, const char *s);

/* Encoded size of a varint, of a length-delimited field with n bytes of
 * payload (tag included), and of a string field (0 when unset or empty). */
static inline size_t batch_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}
static inline size_t batch_field_size(size_t n) { return 1 + batch_varint_size(n) + n; }
size_t batch_string_size(const char *s);

#define BATCH_NEW(b, T) ((T *)pgcdc_arena_alloc(&(b)->arena, sizeof(T)))

/* The open transaction's fragment is cut: it continues in a next fragment
 * (opened at once, empty). */
int batch_split_txn(pgcdc_batch_builder *b);

pgcdc_code batch_oom(pgcdc_error *err, const char *what);

#endif
