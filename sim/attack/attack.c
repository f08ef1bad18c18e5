/* attack.c — the attacker models (attack.h).  Work in progress. */
#include <stdlib.h>
#include "attack.h"
#include "world.h"

struct atk_run { atk_kb *kb; };

int atk_run_new(struct sim_world *w, atk_run **out, char *err, size_t errlen)
{
    (void)w; (void)err; (void)errlen;
    *out = NULL;
    return 0;
}
void atk_run_free(atk_run *a) { free(a); }
void atk_run_report(atk_run *a, ana_metrics *m) { (void)a; (void)m; }
atk_kb *atk_run_kb(atk_run *a) { return a ? a->kb : NULL; }
void atk_outcome(atk_run *a, uint32_t attacker, uint32_t cls, int accepted,
                 int moved)
{
    (void)a; (void)attacker; (void)cls; (void)accepted; (void)moved;
}
