/* Verification and usage of a quiescent groove: the audit (rg_audit.c),
   read as a verdict or as counts. */

#include "rg_audit.h"

static int
rg_verify_verdict( rg_audit_t const * a ) {
  if( a->damage ) return rg_err( RG_ERR_CORRUPT, "verify: %s%s", a->first, a->damage>1UL ? " (and more: see the report)" : "" );
  if( a->leftovers )
    return rg_err( RG_ERR_AGAIN, "verify: not damaged, but %lu thing(s) were left by clients that are gone: run recovery", a->leftovers );
  return RG_SUCCESS;
}

int
rg_groove_verify( rg_groove_t const * g ) {
  if( !g ) return rg_err( RG_ERR_INVAL, "NULL groove join" );
  rg_audit_t a = { .g = (rg_groove_t *)g };
  int err = rg_audit_run( &a );
  if( !err ) err = rg_verify_verdict( &a );
  rg_audit_fini( &a );
  return err;
}

int
rg_groove_volume_verify( rg_groove_t const * g,
                         uint64_t            vi ) {
  if( !g ) return rg_err( RG_ERR_INVAL, "NULL groove join" );
  if( vi>=g->volume_max ) return rg_err( RG_ERR_INVAL, "volume %lu is outside [0,%lu)", vi, g->volume_max );
  return rg_groove_verify( g ); /* a volume's soundness depends on the accounting of the whole */
}

int
rg_groove_usage( rg_groove_t const * g,
                 rg_groove_usage_t * usage ) {
  if( !g || !usage ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  rg_audit_t a = { .g = (rg_groove_t *)g, .usage = usage };
  int err = rg_audit_run( &a );
  if( !err && a.damage ) err = rg_err( RG_ERR_CORRUPT, "usage: %s", a.first );
  rg_audit_fini( &a );
  return err;
}
