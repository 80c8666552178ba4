import { sql, type Kysely } from 'kysely'

// Frozen in time: never imports server code. One statement per call.

const CATEGORIES = [
  'internet_cafe',
  'lottery_outlet',
  'tobacco_retail',
  'entertainment_venue',
  'video_game_venue',
  'hazardous_chemicals',
  'fireworks',
  'polluting_enterprise',
  'food_stall_zone',
]
const SCHOOL_TYPES = [
  'kindergarten',
  'primary',
  'junior_middle',
  'senior_high',
  'complete_middle',
  'nine_year',
  'vocational',
  'special_education',
]
const list = (values: string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '))

const POLICY = '《固原市人民政府办公室关于加强中小学幼儿园安全风险防控体系建设的实施意见》'
const BASIS: Record<string, string> = {
  internet_cafe: `${POLICY}第三条：学校周边200米安全区域内不得设立互联网上网服务营业场所`,
  lottery_outlet: `${POLICY}第三条、第九条：学校周边200米范围内不得设立彩票专营场所`,
  tobacco_retail: `${POLICY}第九条：学校周边200米范围内不得发放烟草零售许可证`,
  entertainment_venue: `${POLICY}第三条：学校周边200米安全区域内不得设立营业性歌舞娱乐场所`,
  video_game_venue: `${POLICY}第三条：学校周边200米安全区域内不得设立营业性电子游戏场所`,
  hazardous_chemicals: `${POLICY}第九条：学校周边200米范围内的危险化学品生产、储存、经营场所依法关闭`,
  fireworks: `${POLICY}第九条：学校周边200米范围内的烟花爆竹销售网点依法关闭`,
  polluting_enterprise: `${POLICY}第三条：学校周边200米安全区域内不得新建污染企业和设施`,
  food_stall_zone: `${POLICY}第三条：学校周边200米安全区域内不得设置食品摊贩经营活动区域`,
}

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table rules (
    id integer generated always as identity primary key,
    category text not null check (category in (${list(CATEGORIES)})),
    school_type text not null check (school_type in (${list(SCHOOL_TYPES)})),
    limit_m double precision not null check (limit_m > 0 and limit_m <= 5000),
    origin text not null check (origin in ('campus', 'gates')),
    path text not null check (path in ('straight', 'walking')),
    band_names text[] not null,
    band_edges double precision[] not null,
    legal_basis text not null,
    effective_from date not null,
    effective_to date,
    version integer not null default 1,
    updated_at timestamptz not null default now(),
    updated_by integer,
    unique (category, school_type),
    check (cardinality(band_names) = cardinality(band_edges) + 1),
    check (effective_to is null or effective_to > effective_from)
  )`.execute(db)

  await sql`create table rule_versions (
    rule_id integer not null references rules (id) on delete cascade,
    version integer not null,
    snapshot jsonb not null,
    reason text not null,
    changed_by integer,
    changed_by_name text,
    changed_at timestamptz not null default now(),
    primary key (rule_id, version)
  )`.execute(db)

  for (const category of CATEGORIES) {
    await sql`insert into rules (category, school_type, limit_m, origin, path, band_names, band_edges, legal_basis, effective_from)
      select ${category}, t, 200, 'campus', 'straight', array['core', 'control'], array[50]::float8[], ${BASIS[category]!}, date '2018-01-01'
      from unnest(array[${list(SCHOOL_TYPES)}]) as t`.execute(db)
  }
  await sql`insert into rule_versions (rule_id, version, snapshot, reason)
    select id, 1, to_jsonb(rules) - 'updated_at', 'policy default: 200 m from the campus boundary, straight line' from rules`.execute(db)

  // A premises within a school's limit under the rule in force. Distances are not stored: they are
  // measured exactly (geography) whenever a conflict is shown, so they can never go stale.
  // Derived data without foreign keys: a full audit rewrites hundreds of thousands of rows, and three
  // key checks a row tripled its cost; the registry deletes a record's conflicts in the same transaction.
  await sql`create table conflicts (
    premises_id integer not null,
    school_id integer not null,
    rule_id integer not null,
    rule_version integer not null,
    band text not null,
    detected_at timestamptz not null default now(),
    primary key (premises_id, school_id)
  )`.execute(db)
  await sql`create index conflicts_school_idx on conflicts (school_id)`.execute(db)
  await sql`create index conflicts_rule_idx on conflicts (rule_id)`.execute(db)

  await sql`create table audits (
    id integer generated always as identity primary key,
    status text not null check (status in ('running', 'done', 'failed')),
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    started_by integer,
    started_by_name text,
    schools_total integer not null default 0,
    schools_done integer not null default 0,
    first_log_id bigint not null default 0,
    summary jsonb,
    error text
  )`.execute(db)

  // Pairs found by a running full audit before they replace the conflicts.
  await sql`create table audit_pairs (
    audit_id integer not null,
    premises_id integer not null,
    school_id integer not null,
    rule_id integer not null,
    rule_version integer not null,
    band text not null
  )`.execute(db)
  await sql`create index audit_pairs_audit_idx on audit_pairs (audit_id, premises_id, school_id)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['audit_pairs', 'audits', 'conflicts', 'rule_versions', 'rules'])
    await sql`drop table if exists ${sql.table(table)}`.execute(db)
}
