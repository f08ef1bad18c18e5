/* proto.c — the protocol registry: protocol.name -> vtable, and the
 * option-parsing hooks the scenario loader calls through the registry it
 * is handed (sim_proto_registry, scn_registry_set); and protocol ->
 * adversary interface (sim_proto_atk) for the runner. */
#include <stdio.h>
#include <string.h>
#include "proto.h"
#include "scn_map.h"

static const scn_proto_ops *const protocols[] = {
    &sim_proto_none,
    &sim_proto_dini,
    &sim_proto_dipietro,
    &sim_proto_eg,
    &sim_proto_netkey,
    &sim_proto_pairwise,
};

/* The adversary interface of each entry of protocols[], same order. */
static const atk_proto_hooks *const adversaries[] = {
    NULL,                    /* none: no keys, nothing to take */
    &sim_atk_dini,
    &sim_atk_dipietro,
    &sim_atk_eg,
    &sim_atk_netkey,
    &sim_atk_pairwise,
};
_Static_assert(sizeof adversaries / sizeof adversaries[0] ==
               sizeof protocols / sizeof protocols[0],
               "one adversary interface entry per protocol");

const scn_proto_ops *sim_proto_find(const char *name)
{
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
        if (strcmp(protocols[i]->name, name) == 0)
            return protocols[i];
    return NULL;
}

const atk_proto_hooks *sim_proto_atk(const scn_proto_ops *ops)
{
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
        if (protocols[i] == ops)
            return adversaries[i];
    return NULL;
}

const char *sim_proto_names(void)
{
    /* Built once from the table (it is constant). */
    static char names[256];

    if (!names[0]) {
        size_t o = 0;
        for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
            o += (size_t)snprintf(names + o, sizeof names - o, "%s%s",
                                  i ? ", " : "", protocols[i]->name);
    }
    return names;
}

int sim_proto_parse_opts(const scn_proto_ops *ops, scn_map *m, void **opts)
{
    *opts = NULL;
    if (ops->opts_parse)
        return ops->opts_parse(m, opts);
    return scn_map_done(m);
}

void sim_proto_free_opts(const scn_proto_ops *ops, void *opts)
{
    if (ops && ops->opts_free && opts)
        ops->opts_free(opts);
}

static const char *proto_name(const scn_proto_ops *ops)
{
    return ops->name;
}

const scn_registry sim_proto_registry = {
    .find = sim_proto_find,
    .names = sim_proto_names,
    .name = proto_name,
    .parse_opts = sim_proto_parse_opts,
    .free_opts = sim_proto_free_opts,
};

void sim_proto_use(void)
{
    scn_registry_set(&sim_proto_registry);
}

int sim_proto_parse_opts_buffer(const scn_proto_ops *ops, const char *name,
                                const char *text, void **opts, char *err,
                                size_t errlen)
{
    return scn_opts_parse_buffer(&sim_proto_registry, ops, name, text, opts,
                                 err, errlen);
}
