/**
 * The catalog queries behind `inspectDatabase`: one per kind of object, whatever the size of the
 * schema, so a 1,000-table database costs the same dozen round trips as an empty one.
 *
 * They run with search_path = pg_catalog (see inspect.ts), so the deparsers qualify every user
 * object. Rows carry the OIDs needed to attach parts to their relation; the model drops them.
 * Names come back as [schema, name] pairs and are quoted in TypeScript, the same way for every
 * PostgreSQL major (quote_ident's keyword list changes between majors).
 */

/** Schemas that hold the system, never the user's schema. */
function userSchema(n: string): string {
  return `${n}.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and ${n}.nspname !~ '^pg_(toast_)?temp_'`;
}

/** Objects created by CREATE EXTENSION belong to the extension, not to the schema files. */
function notInExtension(catalog: string, oid: string): string {
  return `not exists (select from pg_depend e where e.classid = '${catalog}'::regclass and e.objid = ${oid} and e.deptype = 'e')`;
}

/**
 * Objects that a statement creates implicitly along with another object depend on it with
 * deptype 'i' (internal): the constructor functions of a range type, and from PostgreSQL 14 its
 * multirange type and that type's constructors, are created by CREATE TYPE ... AS RANGE and
 * dropped with it. They are part of their owner, not objects of the schema: written out, they
 * would fail to load ("already exists"). The other implicit objects are left out elsewhere: the
 * types query takes only enum, domain, range and stand-alone composite types (no array, row or
 * multirange types), rules skip a view's _RETURN, build.ts folds identity sequences into their column.
 */
function notImplicit(catalog: string, oid: string): string {
  return `not exists (select from pg_depend i where i.classid = '${catalog}'::regclass and i.objid = ${oid} and i.deptype = 'i')`;
}

function comment(catalog: string, oid: string, sub = '0'): string {
  return `(select d.description from pg_description d where d.objoid = ${oid} and d.classoid = '${catalog}'::regclass and d.objsubid = ${sub})`;
}

/** An ACL as [grantee, privilege, grantable] triples; `PUBLIC` for grantee 0. */
function acl(expr: string): string {
  return `(select coalesce(json_agg(json_build_array(case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee) end,
    a.privilege_type, a.is_grantable)), '[]') from aclexplode(${expr}) a)`;
}

/** A collation as [schema, name] when it is not the one the type brings anyway. */
function collationUnlessDefault(collation: string, typeCollation: string): string {
  return `case when ${collation} <> 0 and ${collation} is distinct from ${typeCollation} then
    (select json_build_array(cn.nspname, co.collname) from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace
     where co.oid = ${collation}) end`;
}

const RELKINDS = `('r', 'p', 'f', 'v', 'm')`;

export function catalogQueries(version: number): Record<string, string> {
  return {
    schemas: `
      select n.nspname as name, pg_get_userbyid(n.nspowner) as owner,
        ${acl(`coalesce(n.nspacl, acldefault('n', n.nspowner))`)} as grants,
        ${comment('pg_namespace', 'n.oid')} as comment
      from pg_namespace n
      where ${userSchema('n')} and ${notInExtension('pg_namespace', 'n.oid')}`,

    extensions: `
      select x.extname as name, x.extversion as version, n.nspname as schema
      from pg_extension x join pg_namespace n on n.oid = x.extnamespace`,

    collations: `
      select n.nspname as schema, c.collname as name, pg_get_userbyid(c.collowner) as owner,
        c.collprovider as provider, c.collisdeterministic as deterministic,
        c.collcollate as lc_collate, c.collctype as lc_ctype,
        ${version >= 170000 ? 'c.colllocale' : version >= 150000 ? 'c.colliculocale' : 'null::text'} as locale,
        ${version >= 160000 ? 'c.collicurules' : 'null::text'} as rules,
        ${comment('pg_collation', 'c.oid')} as comment
      from pg_collation c join pg_namespace n on n.oid = c.collnamespace
      where ${userSchema('n')} and ${notInExtension('pg_collation', 'c.oid')}`,

    types: `
      select n.nspname as schema, t.typname as name, t.typtype as kind, pg_get_userbyid(t.typowner) as owner,
        ${acl(`coalesce(t.typacl, acldefault('T', t.typowner))`)} as grants,
        ${comment('pg_type', 't.oid')} as comment,
        case when t.typtype = 'e' then
          (select json_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) end as labels,
        case when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod) end as base_type,
        t.typnotnull as not_null,
        case when t.typtype = 'd' then pg_get_expr(t.typdefaultbin, 0) end as "default",
        case when t.typtype = 'd' then ${collationUnlessDefault('t.typcollation', 'bt.typcollation')} end as collation,
        case when t.typtype = 'c' then
          (select json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod),
             ${collationUnlessDefault('a.attcollation', 'at.typcollation')}) order by a.attnum)
           from pg_attribute a join pg_type at on at.oid = a.atttypid
           where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped) end as attributes,
        case when t.typtype = 'r' then
          (select json_build_object(
             'subtype', format_type(r.rngsubtype, null),
             'opclass', case when not oc.opcdefault then json_build_array(ocn.nspname, oc.opcname) end,
             'collation', ${collationUnlessDefault('r.rngcollation', 'st.typcollation')},
             'canonical', nullif(r.rngcanonical::oid, 0)::regproc::text,
             'subtypeDiff', nullif(r.rngsubdiff::oid, 0)::regproc::text,
             'multirange', ${
               version >= 140000
                 ? `(select json_build_array(mn.nspname, mt.typname) from pg_type mt join pg_namespace mn on mn.oid = mt.typnamespace
                where mt.oid = r.rngmultitypid)`
                 : 'null'
             })
           from pg_range r join pg_type st on st.oid = r.rngsubtype
           join pg_opclass oc on oc.oid = r.rngsubopc join pg_namespace ocn on ocn.oid = oc.opcnamespace
           where r.rngtypid = t.oid) end as range
      from pg_type t join pg_namespace n on n.oid = t.typnamespace
      left join pg_type bt on bt.oid = t.typbasetype
      where (t.typtype in ('e', 'd', 'r')
             or (t.typtype = 'c' and (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c'))
        and ${userSchema('n')} and ${notInExtension('pg_type', 't.oid')}`,

    relations: `
      select c.oid, n.nspname as schema, c.relname as name, c.relkind as kind, pg_get_userbyid(c.relowner) as owner,
        ${acl(`coalesce(c.relacl, acldefault('r', c.relowner))`)} as grants,
        ${comment('pg_class', 'c.oid')} as comment,
        c.relpersistence as persistence, c.relrowsecurity as row_security, c.relforcerowsecurity as force_row_security,
        c.reloptions as options, c.relreplident as replica_identity, c.relispartition as is_partition,
        case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partition_key,
        case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end as partition_bound,
        (select json_agg(json_build_array(pn.nspname, p.relname) order by i.inhseqno)
         from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_namespace pn on pn.oid = p.relnamespace
         where i.inhrelid = c.oid) as parents,
        case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end as definition
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ${RELKINDS} and ${userSchema('n')} and ${notInExtension('pg_class', 'c.oid')}`,

    columns: `
      select a.attrelid as rel, a.attname as name, a.attnum as num,
        format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
        a.attidentity as identity, a.attgenerated as generated, a.attislocal as local, a.attinhcount as inherited_count,
        pg_get_expr(ad.adbin, ad.adrelid) as "default",
        ${collationUnlessDefault('a.attcollation', 't.typcollation')} as collation,
        case when a.attacl is not null then ${acl('a.attacl')} end as grants,
        ${comment('pg_class', 'a.attrelid', 'a.attnum')} as comment,
        case when a.attidentity <> '' then
          (select json_build_object('schema', sn.nspname, 'name', sc.relname, 'type', format_type(s.seqtypid, null), 'start', s.seqstart::text,
             'increment', s.seqincrement::text, 'min', s.seqmin::text, 'max', s.seqmax::text,
             'cache', s.seqcache::text, 'cycle', s.seqcycle,
             'grants', ${acl(`coalesce(sc.relacl, acldefault('s', sc.relowner))`)})
           from pg_depend d join pg_sequence s on s.seqrelid = d.objid join pg_class sc on sc.oid = s.seqrelid
           join pg_namespace sn on sn.oid = sc.relnamespace
           where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
             and d.refobjid = a.attrelid and d.refobjsubid = a.attnum and d.deptype = 'i') end as identity_sequence
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      join pg_type t on t.oid = a.atttypid
      left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
      where a.attnum > 0 and not a.attisdropped and c.relkind in ${RELKINDS} and ${userSchema('n')}`,

    // Constraints of tables and of domains. Left out: NOT NULL (PostgreSQL 18 keeps them here too;
    // the model has Column.notNull), constraint triggers (in triggers), and the copies a
    // partition or child table inherits (conparentid, coninhcount): the parent has them, except
    // a partition's primary key, unique or exclusion constraint attached to its parent's, whose
    // name is the partition's own (pg_dump shows it): listed with the parent's name (attached_to);
    // and a child's copy of a parent's NOT VALID check that the child validated (inherited).
    constraints: `
      select co.conrelid as rel, co.contypid as type_oid, co.conname as name, co.contype as type,
        pg_get_constraintdef(co.oid) as definition, co.condeferrable as deferrable,
        co.condeferred as deferred, co.convalidated as valid,
        ${comment('pg_constraint', 'co.oid')} as comment,
        tn.nspname as type_schema, ty.typname as type_name,
        (select pc.conname from pg_constraint pc where pc.oid = co.conparentid) as attached_to,
        co.contype = 'c' and co.coninhcount > 0 and not co.conislocal as inherited
      from pg_constraint co join pg_namespace n on n.oid = co.connamespace
      left join pg_type ty on ty.oid = co.contypid left join pg_namespace tn on tn.oid = ty.typnamespace
      where co.contype in ('c', 'f', 'p', 'u', 'x')
        and ((co.conparentid = 0 and co.coninhcount = 0) or (co.conparentid <> 0 and co.contype in ('p', 'u', 'x'))
          or (co.contype = 'c' and co.coninhcount > 0 and not co.conislocal and co.convalidated
              and exists (select from pg_inherits h join pg_constraint pc on pc.conrelid = h.inhparent
                          where h.inhrelid = co.conrelid and pc.conname = co.conname and pc.contype = 'c' and not pc.convalidated)))
        and ${userSchema('n')}`,

    // Indexes that implement a constraint are described by it. The index of a partition attached
    // to an index of its parent is listed with the parent index's name (attached_to): its own
    // name is the partition's (pg_dump shows it).
    indexes: `
      select i.indrelid as rel, ic.relname as name, pg_get_indexdef(i.indexrelid) as definition,
        am.amname as method, i.indisunique as unique, i.indisvalid as valid, i.indisreplident as replica_identity,
        pg_get_expr(i.indpred, i.indrelid) as predicate,
        ${comment('pg_class', 'ic.oid')} as comment,
        (select pi.relname from pg_inherits h join pg_class pi on pi.oid = h.inhparent where h.inhrelid = ic.oid) as attached_to
      from pg_index i join pg_class ic on ic.oid = i.indexrelid
      join pg_am am on am.oid = ic.relam join pg_namespace n on n.oid = ic.relnamespace
      where ${userSchema('n')}
        and not exists (select from pg_constraint co where co.conindid = i.indexrelid and co.conrelid = i.indrelid
                        and co.contype in ('p', 'u', 'x'))`,

    // tgparentid: the clones a partition gets from a trigger on its parent.
    triggers: `
      select t.tgrelid as rel, t.tgname as name, pg_get_triggerdef(t.oid) as definition, t.tgenabled as enabled,
        ${comment('pg_trigger', 't.oid')} as comment
      from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where not t.tgisinternal and t.tgparentid = 0 and ${userSchema('n')}`,

    policies: `
      select p.polrelid as rel, p.polname as name, p.polcmd as command, p.polpermissive as permissive,
        (select json_agg(case when r = 0 then 'PUBLIC' else pg_get_userbyid(r) end) from unnest(p.polroles) r) as roles,
        pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as with_check,
        ${comment('pg_policy', 'p.oid')} as comment
      from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
      where ${userSchema('n')}`,

    rules: `
      select r.ev_class as rel, r.rulename as name, pg_get_ruledef(r.oid) as definition, r.ev_enabled as enabled,
        ${comment('pg_rewrite', 'r.oid')} as comment
      from pg_rewrite r join pg_class c on c.oid = r.ev_class join pg_namespace n on n.oid = c.relnamespace
      where r.rulename <> '_RETURN' and ${userSchema('n')}`,

    statistics: `
      select s.stxrelid as rel, n.nspname as schema, s.stxname as name, pg_get_statisticsobjdef(s.oid) as definition,
        ${comment('pg_statistic_ext', 's.oid')} as comment
      from pg_statistic_ext s join pg_namespace n on n.oid = s.stxnamespace
      where ${userSchema('n')}`,

    // owned_by: the column of OWNED BY ('a', serial) or of an identity column ('i').
    sequences: `
      select n.nspname as schema, c.relname as name, pg_get_userbyid(c.relowner) as owner,
        format_type(s.seqtypid, null) as type, s.seqstart::text as start, s.seqincrement::text as increment,
        s.seqmin::text as min, s.seqmax::text as max, s.seqcache::text as cache, s.seqcycle as cycle,
        (select json_build_array(tn.nspname, tc.relname, ta.attname, d.deptype)
         from pg_depend d join pg_class tc on tc.oid = d.refobjid join pg_namespace tn on tn.oid = tc.relnamespace
         join pg_attribute ta on ta.attrelid = d.refobjid and ta.attnum = d.refobjsubid
         where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.refclassid = 'pg_class'::regclass
           and d.deptype in ('a', 'i') limit 1) as owned_by,
        ${acl(`coalesce(c.relacl, acldefault('s', c.relowner))`)} as grants,
        ${comment('pg_class', 'c.oid')} as comment
      from pg_class c join pg_sequence s on s.seqrelid = c.oid join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'S' and ${userSchema('n')} and ${notInExtension('pg_class', 'c.oid')}`,

    functions: `
      select n.nspname as schema, p.proname as name, p.prokind as kind, oidvectortypes(p.proargtypes) as identity,
        pg_get_function_arguments(p.oid) as arguments,
        case when p.prokind <> 'p' then pg_get_function_result(p.oid) end as returns,
        l.lanname as language, p.provolatile as volatility, p.proisstrict as strict,
        p.prosecdef as security_definer, p.proleakproof as leakproof, p.proparallel as parallel,
        p.procost::float8 as cost, p.prorows::float8 as rows, p.proconfig as config,
        ${version >= 140000 ? 'case when p.prosqlbody is not null then pg_get_function_sqlbody(p.oid) else p.prosrc end' : 'p.prosrc'} as body,
        pg_get_userbyid(p.proowner) as owner,
        ${acl(`coalesce(p.proacl, acldefault('f', p.proowner))`)} as grants,
        ${comment('pg_proc', 'p.oid')} as comment,
        case when p.prokind = 'a' then
          (select json_build_object('kind', a.aggkind::text, 'sfunc', a.aggtransfn::text,
             'stype', format_type(a.aggtranstype, null), 'initcond', a.agginitval,
             'finalfunc', nullif(a.aggfinalfn::oid, 0)::regproc::text,
             'combinefunc', nullif(a.aggcombinefn::oid, 0)::regproc::text,
             'sortop', nullif(a.aggsortop, 0)::regoperator::text)
           from pg_aggregate a where a.aggfnoid = p.oid) end as aggregate
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
      where ${userSchema('n')} and ${notInExtension('pg_proc', 'p.oid')}
        and ${notImplicit('pg_proc', 'p.oid')}`,

    defaultPrivileges: `
      select pg_get_userbyid(d.defaclrole) as role, n.nspname as schema, d.defaclobjtype as object_type,
        ${acl('d.defaclacl')} as grants
      from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace`,

    // Member tables as [schema, table, columns, row filter]; column lists, row filters and
    // FOR TABLES IN SCHEMA came with PostgreSQL 15.
    publications: `
      select p.pubname as name, pg_get_userbyid(p.pubowner) as owner, p.puballtables as all_tables,
        p.pubinsert as insert, p.pubupdate as update, p.pubdelete as delete, p.pubtruncate as truncate,
        p.pubviaroot as via_root, ${comment('pg_publication', 'p.oid')} as comment,
        (select json_agg(json_build_array(n.nspname, c.relname,
           ${
             version >= 150000
               ? `(select json_agg(a.attname order by a.attnum) from pg_attribute a
               where a.attrelid = pr.prrelid and a.attnum = any (pr.prattrs::int2[]))`
               : 'null'
           },
           ${version >= 150000 ? 'pg_get_expr(pr.prqual, pr.prrelid)' : 'null'}))
         from pg_publication_rel pr join pg_class c on c.oid = pr.prrelid join pg_namespace n on n.oid = c.relnamespace
         where pr.prpubid = p.oid) as tables,
        ${
          version >= 150000
            ? `(select json_agg(n.nspname) from pg_publication_namespace pn join pg_namespace n on n.oid = pn.pnnspid
           where pn.pnpubid = p.oid)`
            : 'null'
        } as schemas
      from pg_publication p`,

    eventTriggers: `
      select et.evtname as name, et.evtevent as event, pg_get_userbyid(et.evtowner) as owner, et.evtenabled as enabled,
        et.evttags as tags, fn.nspname as function_schema, f.proname as function_name,
        ${comment('pg_event_trigger', 'et.oid')} as comment
      from pg_event_trigger et join pg_proc f on f.oid = et.evtfoid join pg_namespace fn on fn.oid = f.pronamespace
      where ${notInExtension('pg_event_trigger', 'et.oid')}`,
  };
}

/**
 * What depends on what, from pg_depend, between the objects of the model: one row per pair, each
 * side as [kind, schema, name, identity arguments] with kind 'type', 'function' or 'relation'
 * (table, view, sequence). Not part of the model (two equal schemas built in another order have
 * the same model): `adopt` uses it to write the objects in an order that loads.
 *
 * A part stands for its object: a constraint for its table or domain, a column default, trigger,
 * policy, rule (a view's query), extended statistics or index for its relation, an array type for
 * its element type, a multirange for its range, a row type for its relation, a stand-alone
 * composite type's pg_class row for the type. Only 'n' (normal) dependencies order creation: 'a'
 * ties a part to its own object or a serial sequence to its column (created before it, OWNED BY
 * after), 'i' an implicit object to its owner, 'e' an extension's members. Foreign keys are left
 * out: adopt writes them after every table. OIDs below 16384 (FirstNormalObjectId) are initdb's.
 * Also what depends on an operator class (an index using one), and the types, functions and
 * operator classes that belong to an extension ('e': on [extension, null, name, null]), so that
 * `diff` knows what goes when an extension is dropped and created again.
 */
export function dependenciesQuery(version: number): string {
  // Multirange types came with PostgreSQL 14.
  const multirange = version >= 140000 ? 'r.rngmultitypid' : 'null::oid';
  return `
  with parts(cls, oid, wcls, woid) as (
    select 'pg_constraint'::regclass, co.oid, case when co.contypid <> 0 then 'pg_type'::regclass else 'pg_class'::regclass end,
      case when co.contypid <> 0 then co.contypid else co.conrelid end
    from pg_constraint co
    union all select 'pg_attrdef'::regclass, ad.oid, 'pg_class'::regclass, ad.adrelid from pg_attrdef ad
    union all select 'pg_trigger'::regclass, tg.oid, 'pg_class'::regclass, tg.tgrelid from pg_trigger tg
    union all select 'pg_policy'::regclass, po.oid, 'pg_class'::regclass, po.polrelid from pg_policy po
    union all select 'pg_rewrite'::regclass, rw.oid, 'pg_class'::regclass, rw.ev_class from pg_rewrite rw
    union all select 'pg_statistic_ext'::regclass, st.oid, 'pg_class'::regclass, st.stxrelid from pg_statistic_ext st
    union all select 'pg_class'::regclass, i.indexrelid, 'pg_class'::regclass, i.indrelid from pg_index i
    union all select 'pg_class'::regclass, c.oid, 'pg_type'::regclass, c.reltype from pg_class c where c.relkind = 'c'
    union all
    select 'pg_type'::regclass, t.oid,
      case when rc.relkind <> 'c' then 'pg_class'::regclass else 'pg_type'::regclass end,
      case when rc.relkind <> 'c' then rc.oid else m.oid end
    from pg_type t
    left join pg_type e on e.typarray = t.oid
    left join pg_range r on ${multirange} = coalesce(e.oid, t.oid)
    join pg_type m on m.oid = coalesce(r.rngtypid, e.oid, t.oid)
    left join pg_class rc on rc.oid = m.typrelid
    where m.oid <> t.oid or rc.relkind <> 'c'
  ),
  edges as (
    select distinct coalesce(p.wcls, d.classid) as cls, coalesce(p.woid, d.objid) as oid,
      coalesce(q.wcls, d.refclassid) as rcls, coalesce(q.woid, d.refobjid) as roid
    from pg_depend d
    left join parts p on p.cls = d.classid and p.oid = d.objid
    left join parts q on q.cls = d.refclassid and q.oid = d.refobjid
    where d.deptype = 'n' and d.objid >= 16384 and d.refobjid >= 16384
      and not exists (select from pg_constraint fk where d.classid = 'pg_constraint'::regclass and fk.oid = d.objid and fk.contype = 'f')
  ),
  named(cls, oid, kind, schema, name, args) as (
    select 'pg_proc'::regclass, p.oid, 'function', n.nspname, p.proname, oidvectortypes(p.proargtypes)
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where ${userSchema('n')}
    union all
    select 'pg_class'::regclass, c.oid, 'relation', n.nspname, c.relname, null
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'f', 'v', 'm', 'S') and ${userSchema('n')}
    union all
    select 'pg_type'::regclass, t.oid, 'type', n.nspname, t.typname, null
    from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where ${userSchema('n')}
    union all
    select 'pg_opclass'::regclass, oc.oid, 'operator class', n.nspname, oc.opcname, am.amname
    from pg_opclass oc join pg_namespace n on n.oid = oc.opcnamespace join pg_am am on am.oid = oc.opcmethod
    where ${userSchema('n')}
  )
  select json_build_array(a.kind, a.schema, a.name, a.args) as object, json_build_array(b.kind, b.schema, b.name, b.args) as "on"
  from edges x join named a on a.cls = x.cls and a.oid = x.oid join named b on b.cls = x.rcls and b.oid = x.roid
  where (x.cls, x.oid) <> (x.rcls, x.roid)
  union all
  select json_build_array(a.kind, a.schema, a.name, a.args), json_build_array('extension', null, x.extname, null)
  from pg_depend d join named a on a.cls = d.classid and a.oid = d.objid join pg_extension x on x.oid = d.refobjid
  where d.refclassid = 'pg_extension'::regclass and d.deptype = 'e'`;
}

/**
 * Settings that change how the deparsers write: every user object qualified, timestamps (in
 * partition bounds, defaults) in UTC and ISO, the same for every session.
 */
export const DEPARSE_SETTINGS: Record<string, string> = {
  search_path: 'pg_catalog',
  TimeZone: 'UTC',
  DateStyle: 'ISO, MDY',
  IntervalStyle: 'postgres',
  extra_float_digits: '1',
  quote_all_identifiers: 'off',
  bytea_output: 'hex',
  lc_monetary: 'C',
};
