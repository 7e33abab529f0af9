// A sqitch-compatible deployer: `migrate` deploys our sqitch plan without the
// sqitch binary (and without psql), yet records every change in sqitch's own
// registry exactly as sqitch 1.3.1's pg engine does. The real `sqitch status`,
// `verify` and `revert` therefore work on a database we deployed, and a
// database deployed by the real `sqitch deploy` is up to date for us.
//
// The reference is sqitch's source (App::Sqitch::Plan, Plan::Change,
// Plan::Depend, Engine::pg, Role::DBIEngine and Engine/pg.sql); the comments
// below say which of its behaviours we reproduce and why.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir, hostname, userInfo } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type pg from 'pg';

/** sqitch's advisory lock key (Engine::pg try_lock/wait_lock): sharing it makes us and the real sqitch exclude each other. */
const SQITCH_LOCK_KEY = 75474063;
/** The registry schema version sqitch 1.3.1 creates and expects. */
const REGISTRY_RELEASE = '1.1';
/** sqitch rewrites any %syntax-version pragma to the one it understands. */
const SYNTAX_VERSION = '1.0.0';

// ---------------------------------------------------------------------------
// Plan model

/** One `[dependency]` of a change, as sqitch's Plan::Depend parses it. */
export interface Dependency {
  conflicts: boolean;
  /** Only when written as `project:change`; otherwise the plan's own project. */
  project?: string;
  change?: string;
  tag?: string;
  /** A change id (40 hex digits) instead of a name. */
  id?: string;
}

interface PlannedLine {
  /** Change name, or tag name without the `@`. */
  name: string;
  /** UTC, exactly as in the plan: 2026-11-29T07:09:10Z. */
  timestamp: string;
  plannerName: string;
  plannerEmail: string;
  /** Unescaped (`\n` in the plan is a newline here) and trimmed, like sqitch. */
  note: string;
  id: string;
  /** 1-based line in the plan file, for messages. */
  line: number;
}

export type PlanTag = PlannedLine;

export interface PlanChange extends PlannedLine {
  requires: Dependency[];
  conflicts: Dependency[];
  /** The previous change's id (across tags); null for the first change. */
  parentId: string | null;
  /** Tags declared right after this change. */
  tags: PlanTag[];
}

export interface Plan {
  syntaxVersion: string;
  project: string;
  /** The %uri pragma as written; ids use its canonical form. */
  uri: string | null;
  pragmas: Record<string, string>;
  changes: PlanChange[];
}

// ---------------------------------------------------------------------------
// Ids: sqitch hashes an "info" text like a git object: sha1("change <bytes>\0<info>").

export interface ChangeInfoFields {
  project: string;
  uri?: string | null;
  name: string;
  parentId?: string | null;
  plannerName: string;
  plannerEmail: string;
  timestamp: string;
  /** Dependencies as sqitch prints them (see dependencyString). */
  requires?: string[];
  conflicts?: string[];
  note?: string;
}

export interface TagInfoFields {
  project: string;
  uri?: string | null;
  /** Without the `@`. */
  name: string;
  changeId: string;
  plannerName: string;
  plannerEmail: string;
  timestamp: string;
  note?: string;
}

/** The text sqitch hashes into a change id (Plan::Change `info`). */
export function changeInfo(c: ChangeInfoFields): string {
  const lines = [`project ${c.project}`];
  if (perlTrue(c.uri)) lines.push(`uri ${canonicalUri(c.uri)}`);
  lines.push(`change ${c.name}`);
  if (c.parentId) lines.push(`parent ${c.parentId}`);
  lines.push(`planner ${c.plannerName} <${c.plannerEmail}>`, `date ${c.timestamp}`);
  if (c.requires?.length) lines.push('requires', ...c.requires.map((d) => `  + ${d}`));
  if (c.conflicts?.length) lines.push('conflicts', ...c.conflicts.map((d) => `  - ${d}`));
  if (perlTrue(c.note)) lines.push('', c.note);
  return lines.join('\n');
}

/** The change id sqitch stores in changes.change_id. */
export function changeId(c: ChangeInfoFields): string {
  return objectId('change', changeInfo(c));
}

/** The text sqitch hashes into a tag id (Plan::Tag `info`). */
export function tagInfo(t: TagInfoFields): string {
  const lines = [`project ${t.project}`];
  if (perlTrue(t.uri)) lines.push(`uri ${canonicalUri(t.uri)}`);
  lines.push(`tag @${t.name}`, `change ${t.changeId}`, `planner ${t.plannerName} <${t.plannerEmail}>`, `date ${t.timestamp}`);
  if (perlTrue(t.note)) lines.push('', t.note);
  return lines.join('\n');
}

export function tagId(t: TagInfoFields): string {
  return objectId('tag', tagInfo(t));
}

/** A dependency as sqitch writes it in ids, events and the dependencies table: `change`, `change@tag`, `@tag`, an id, or `other_project:...`; never the `!`. */
export function dependencyString(dep: Dependency, planProject: string): string {
  const key =
    dep.change !== undefined || dep.tag !== undefined ? `${dep.change ?? ''}${dep.tag !== undefined ? `@${dep.tag}` : ''}` : (dep.id ?? '');
  return dep.project !== undefined && dep.project !== planProject ? `${dep.project}:${key}` : key;
}

function objectId(kind: 'change' | 'tag', info: string): string {
  // The length is in bytes of the UTF-8 text (sqitch encodes before hashing).
  const bytes = Buffer.from(info, 'utf8');
  return createHash('sha1').update(`${kind} ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Perl truthiness of a string, which sqitch uses for notes and the URI: '' and '0' are false. */
function perlTrue(s: string | null | undefined): s is string {
  return s !== undefined && s !== null && s !== '' && s !== '0';
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443', ws: '80', wss: '443', ftp: '21' };

/**
 * Perl URI's `canonical` form, which sqitch puts in the info text: lower-case
 * scheme, normalised %-escapes, and for http(s)/ws(s)/ftp a lower-case host,
 * no default port and (http-like) a `/` path when empty. Other schemes only
 * get the first two, which is what URI does for schemes it has no class for.
 */
function canonicalUri(raw: string): string {
  let s = raw
    .trim()
    .replace(/[^A-Za-z0-9\-_.!~*'();/?:@&=+$,[\]%#]/gu, (ch) =>
      [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    );
  s = s.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return /^[A-Za-z0-9\-_.!~*'()]$/.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(s);
  if (!m) return s;
  const scheme = m[1].toLowerCase();
  let rest = m[2];
  if (scheme === 'urn') {
    rest = rest.replace(/^[^:]*/, (nid) => nid.toLowerCase());
  } else if (scheme in DEFAULT_PORTS) {
    const a = /^\/\/([^/?#]*)(.*)$/s.exec(rest);
    if (a) {
      const at = a[1].lastIndexOf('@');
      const userinfo = a[1].slice(0, at + 1);
      const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(a[1].slice(at + 1));
      let tail = a[2];
      if (hp) {
        const port = hp[2] && hp[2] !== DEFAULT_PORTS[scheme] ? `:${hp[2]}` : '';
        if (scheme !== 'ftp' && (tail === '' || tail.startsWith('#'))) tail = `/${tail}`;
        rest = `//${userinfo}${hp[1].toLowerCase()}${port}${tail}`;
      }
    }
  }
  return `${scheme}:${rest}`;
}

// ---------------------------------------------------------------------------
// Plan parsing: a port of the regular expressions in App::Sqitch::Plan, so
// that names, planners and notes come out byte for byte as sqitch sees them
// (anything else would change the ids).

const BLANK = String.raw`[\t\p{Zs}]`; // Perl's [[:blank:]]
const PUNCT = String.raw`\-!"#$%&'()*+,./:;<=>?@\[\\\]^` + '`{|}~'; // [[:punct:]] without _
const WORD = String.raw`[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]`; // Perl's \w
const NAME =
  String.raw`(?![${PUNCT}])(?:(?![~/=%^]\p{Nd}+(?:$|${BLANK}))[^\t\p{Zs}:@#\\])+(?<![${PUNCT}])` +
  String.raw`(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`;
const TS = String.raw`(?<yr>[0-9]{4})-(?<mo>[0-9]{2})-(?<dy>[0-9]{2})T(?<hr>[0-9]{2}):(?<mi>[0-9]{2}):(?<sc>[0-9]{2})Z`;

const BLANK_LINE_RE = new RegExp(String.raw`^(?<lspace>${BLANK}*)(?:#${BLANK}*(?<note>.+)|$)`, 'su');
const NOTE_RE = new RegExp(String.raw`(?<rspace>${BLANK}*)(?:#${BLANK}*(?<note>.*))?$`, 'su');
const PRAGMA_RE = new RegExp(
  String.raw`^(?:${BLANK}*)%(?:${BLANK}*)(?<name>[^${PUNCT}](?:[^\t\p{Zs}=]*?[^${PUNCT}\t\p{Zs}])?)` +
    String.raw`(?:${BLANK}*(?<operator>=)${BLANK}*(?<value>.+))?$`,
  'su',
);
const LINE_RE = new RegExp(
  String.raw`^(?:${BLANK}*)(?:@|${BLANK}*(?<operator>[+-])${BLANK}*)?(?<name>${NAME})(?:${BLANK}+)?` +
    String.raw`(?:\[(?<dependencies>[^\]]+)\]${BLANK}*)?(?:${TS}${BLANK}*)?` +
    String.raw`(?:(?<plannerName>[^<]+)${BLANK}+<(?<plannerEmail>[^>]+)>)?$`,
  'su',
);
const ANY_TS_RE = /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/;
const NAME_RE = new RegExp(`^${NAME}$`, 'u');
const DEPENDENCY_RE = new RegExp(
  String.raw`^(?<conflicts>!?)(?:(?<project>${NAME}):)?` +
    String.raw`(?:(?<id>[0-9a-f]{40})|(?<change>${NAME})(?:@(?<tag>${NAME}))?|(?:@(?<tagOnly>${NAME}))?)$`,
  'u',
);
const RESERVED_NAMES = new Set(['ROOT', 'HEAD']);
const TAG_LINE_RE = new RegExp(`^${BLANK}*@`, 'u');
const BLANKS_RE = new RegExp(`${BLANK}+`, 'u');

/** Plan::Line's note handling: trim, then turn `\n`, `\r`, `\\` back into characters. */
function unescapeNote(raw: string | undefined): string {
  if (!perlTrue(raw)) return raw ?? '';
  const unescape: Record<string, string> = { '\\n': '\n', '\\r': '\r', '\\\\': '\\' };
  return raw
    .replace(/^\s+/u, '')
    .replace(/\s+$/u, '')
    .replace(/\\[\\nr]/g, (e) => unescape[e]);
}

/** Parses sqitch.plan text (syntax 1.0.0). Errors name the line. Reworked changes are refused (we have no use for them). */
export function parsePlan(text: string, source = 'sqitch.plan'): Plan {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const fail = (lineNo: number, msg: string): never => {
    throw new Error(`Syntax error in ${source} at line ${lineNo}: ${msg}`);
  };

  // Header: pragmas up to the first blank line (comment lines do not end it).
  const pragmas: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    const blank = BLANK_LINE_RE.exec(line);
    if (blank) {
      if (!perlTrue(unescapeNote(blank.groups?.note))) {
        i++;
        break;
      }
      continue;
    }
    const m = PRAGMA_RE.exec(line.slice(0, NOTE_RE.exec(line)?.index ?? line.length));
    if (!m?.groups) return fail(i + 1, 'Invalid pragma; a blank line must come between pragmas and changes');
    const { name, value } = m.groups;
    if (name === 'syntax-version') {
      pragmas[name] = SYNTAX_VERSION;
    } else if (name === 'project') {
      if (value === undefined || !NAME_RE.test(value)) {
        fail(
          i + 1,
          `invalid project name "${value ?? ''}": project names must not begin with punctuation, contain "@", ":", "#", "\\", or blanks, or end in punctuation or digits following punctuation`,
        );
      }
      pragmas.project = value;
    } else {
      pragmas[name] = value ?? '1';
    }
  }
  const project = pragmas.project;
  if (!project) throw new Error(`Missing %project pragma in ${source}`);
  const uri = perlTrue(pragmas.uri) ? pragmas.uri : null;

  const changes: PlanChange[] = [];
  const changeLine = new Map<string, number>(); // every change so far, by name
  const sectionLine = new Map<string, number>(); // changes since the last tag
  const tagLine = new Map<string, number>();
  const unresolved: { change: PlanChange; key: string; depChange?: string; depTag?: string }[] = [];
  let prev: PlanChange | undefined;

  for (; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i].replace(/\r$/, '');
    if (BLANK_LINE_RE.test(line)) continue;
    const noteMatch = NOTE_RE.exec(line);
    const body = line.slice(0, noteMatch?.index ?? line.length);
    const note = unescapeNote(noteMatch?.groups?.note);
    const isTag = TAG_LINE_RE.test(body);
    const g = LINE_RE.exec(body)?.groups ?? {};
    const name = g.name;

    if (!perlTrue(name) || (!g.yr && ANY_TS_RE.test(body))) {
      fail(
        lineNo,
        'Invalid name; names must not begin with punctuation, contain "@", ":", "#", "\\", or blanks, or end in punctuation or digits following punctuation',
      );
    }
    if (!g.yr && !g.plannerName) fail(lineNo, 'Missing timestamp and planner name and email');
    if (!g.yr) fail(lineNo, 'Missing timestamp');
    if (!g.plannerName) fail(lineNo, 'Missing planner name and email');
    if (RESERVED_NAMES.has(name)) fail(lineNo, `"${isTag ? '@' : ''}${name}" is a reserved name`);
    if (/^[0-9a-f]{40}/.test(name)) fail(lineNo, `"${name}" is invalid because it could be confused with a SHA1 ID`);
    const timestamp = `${g.yr}-${g.mo}-${g.dy}T${g.hr}:${g.mi}:${g.sc}Z`;
    const date = new Date(timestamp);
    if (Number.isNaN(date.getTime()) || date.toISOString().replace('.000Z', 'Z') !== timestamp)
      fail(lineNo, `Invalid timestamp ${timestamp}`);
    const planned = { name, timestamp, plannerName: g.plannerName, plannerEmail: g.plannerEmail, note, line: lineNo };

    if (isTag) {
      if (name.includes('/')) fail(lineNo, `Tag "${name}" contains illegal character /`);
      if (!prev) return fail(lineNo, `Tag "${name}" declared without a preceding change`);
      const earlier = tagLine.get(name);
      if (earlier) fail(lineNo, `Tag "${name}" duplicates earlier declaration on line ${earlier}`);
      if (g.dependencies) fail(lineNo, 'Tags may not specify dependencies');
      prev.tags.push({ ...planned, id: tagId({ project, uri, changeId: prev.id, ...planned }) });
      tagLine.set(name, lineNo);
      sectionLine.clear();
      continue;
    }

    if (g.operator === '-') fail(lineNo, `"-${name}": revert lines in the plan are not supported`);
    const dup = sectionLine.get(name);
    if (dup) fail(lineNo, `Change "${name}" duplicates earlier declaration on line ${dup}`);
    const reworked = changeLine.get(name);
    if (reworked) fail(lineNo, `Change "${name}" reworks the change on line ${reworked}; reworked changes are not supported`);

    const requires: Dependency[] = [];
    const conflicts: Dependency[] = [];
    const seenDeps = new Set<string>();
    for (const spec of (g.dependencies ?? '').split(BLANKS_RE).filter(Boolean)) {
      const d = DEPENDENCY_RE.exec(spec)?.groups;
      if (!d || !(d.id || d.change || d.tag || d.tagOnly)) return fail(lineNo, `"${spec}" is not a valid dependency specification`);
      if (seenDeps.has(spec)) fail(lineNo, `Duplicate dependency "${spec}"`);
      seenDeps.add(spec);
      const dep: Dependency = { conflicts: d.conflicts === '!' };
      if (d.project !== undefined) dep.project = d.project;
      if (d.id !== undefined) dep.id = d.id;
      if (d.change !== undefined) dep.change = d.change;
      if ((d.tag ?? d.tagOnly) !== undefined) dep.tag = d.tag ?? d.tagOnly;
      (dep.conflicts ? conflicts : requires).push(dep);
    }

    const fields = {
      project,
      uri,
      parentId: prev?.id ?? null,
      requires: requires.map((d) => dependencyString(d, project)),
      conflicts: conflicts.map((d) => dependencyString(d, project)),
      ...planned,
    };
    const change: PlanChange = { ...planned, requires, conflicts, parentId: prev?.id ?? null, tags: [], id: changeId(fields) };

    // Plan::check_changes: a change may only require changes (of its own
    // project) planned before it, and `change@tag` only a change before that tag.
    for (const dep of requires) {
      if ((dep.project !== undefined && dep.project !== project) || (dep.project === undefined && dep.id !== undefined)) continue;
      const key = dependencyString({ ...dep, project: undefined }, project);
      const ok =
        dep.change !== undefined && dep.tag !== undefined
          ? (changeLine.get(dep.change) ?? Infinity) < (tagLine.get(dep.tag) ?? -Infinity)
          : dep.change !== undefined
            ? changeLine.has(dep.change)
            : dep.tag !== undefined && tagLine.has(dep.tag);
      if (!ok) unresolved.push({ change, key, depChange: dep.change, depTag: dep.tag });
    }

    changes.push(change);
    changeLine.set(name, lineNo);
    sectionLine.set(name, lineNo);
    prev = change;
  }

  if (unresolved.length) {
    const errors = unresolved.map(({ change, key, depChange }) => {
      if (depChange === change.name && !key.includes('@')) return `Change "${change.name}" (line ${change.line}) cannot require itself`;
      const later = depChange !== undefined ? changeLine.get(depChange) : undefined;
      if (later !== undefined && later > change.line && !key.includes('@')) {
        return `Change "${change.name}" (line ${change.line}) is planned before required change "${key}" (line ${later}); move it below`;
      }
      return `Unknown change "${key}" required by change "${change.name}" (line ${change.line})`;
    });
    throw new Error(`Dependency errors in ${source}:\n  ${errors.join('\n  ')}`);
  }

  return { syntaxVersion: SYNTAX_VERSION, project, uri, pragmas, changes };
}

// ---------------------------------------------------------------------------
// Project files: sqitch.conf (git-config syntax) and where the scripts are.

interface Project {
  dir: string;
  plan: Plan;
  planFile: string;
  deployDir: string;
  revertDir: string;
  extension: string;
  registry: string;
  config: Map<string, string>;
}

/** A small reader for sqitch's git-style config: `[section "sub"]` and `key = value`; keys come out as `section.sub.key`. */
function parseConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]/.exec(line);
    if (sec) {
      section = sec[1].toLowerCase() + (sec[2] !== undefined ? `.${sec[2].replace(/\\(.)/g, '$1')}` : '');
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9_-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!kv || !section) continue;
    out.set(`${section}.${kv[1].toLowerCase()}`, kv[2] === undefined ? 'true' : configValue(kv[2]));
  }
  return out;
}

function configValue(raw: string): string {
  let out = '';
  let quoted = false;
  let pendingSpace = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '\\' && i + 1 < raw.length) {
      const next = raw[++i];
      out += pendingSpace + ({ n: '\n', t: '\t', b: '\b' }[next] ?? next);
      pendingSpace = '';
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && (ch === '#' || ch === ';')) {
      break;
    } else if (!quoted && /\s/.test(ch)) {
      pendingSpace += ch;
    } else {
      out += pendingSpace + ch;
      pendingSpace = '';
    }
  }
  return out;
}

function readConfigFile(file: string): Map<string, string> {
  try {
    return parseConfig(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
}

async function loadProject(dir: string): Promise<Project> {
  const config = readConfigFile(process.env.SQITCH_CONFIG || join(dir, 'sqitch.conf'));
  const engine = config.get('core.engine');
  if (engine && engine !== 'pg') throw new Error(`${join(dir, 'sqitch.conf')}: core.engine is "${engine}"; only pg is supported`);
  // Engine settings override core ones; relative paths are relative to the project directory.
  const get = (key: string) => config.get(`engine.pg.${key}`) ?? config.get(`core.${key}`);
  const topDir = resolve(dir, get('top_dir') ?? '.');
  const planFile = resolve(dir, get('plan_file') ?? join(topDir, 'sqitch.plan'));
  const plan = parsePlan(await readFile(planFile, 'utf8'), relative(process.cwd(), planFile) || planFile);
  return {
    dir,
    plan,
    planFile,
    deployDir: resolve(dir, get('deploy_dir') ?? join(topDir, 'deploy')),
    revertDir: resolve(dir, get('revert_dir') ?? join(topDir, 'revert')),
    extension: get('extension') ?? 'sql',
    registry: get('registry') ?? 'sqitch',
    config,
  };
}

function scriptPath(project: Project, kind: 'deploy' | 'revert', change: PlanChange): string {
  return join(kind === 'deploy' ? project.deployDir : project.revertDir, ...`${change.name}.${project.extension}`.split('/'));
}

interface Person {
  name: string;
  email: string;
}

/** Who deploys, found the way sqitch finds user_name/user_email: env, then config (project, user, system), then the OS user. */
function committer(project: Project): Person {
  const env = process.env;
  const files = [
    project.config,
    readConfigFile(env.SQITCH_USER_CONFIG || join(homedir(), '.sqitch', 'sqitch.conf')),
    readConfigFile(env.SQITCH_SYSTEM_CONFIG || '/etc/sqitch/sqitch.conf'),
  ];
  const fromConfig = (key: string) => files.map((f) => f.get(key)).find((v) => v);
  let sysuser = env.SQITCH_ORIG_SYSUSER;
  if (!sysuser) {
    try {
      sysuser = userInfo().username;
    } catch {
      sysuser = env.LOGNAME || env.USER || env.USERNAME || 'unknown';
    }
  }
  return {
    name: env.SQITCH_FULLNAME || fromConfig('user.name') || env.SQITCH_ORIG_FULLNAME || gecosName(sysuser) || sysuser,
    email: env.SQITCH_EMAIL || fromConfig('user.email') || env.SQITCH_ORIG_EMAIL || `${sysuser}@${hostname()}`,
  };
}

/** The full name in /etc/passwd, which sqitch prefers over the login name. */
function gecosName(user: string): string | undefined {
  try {
    const entry = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${user}:`));
    return entry?.split(':')[4]?.split(',')[0] || undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Registry

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * sqitch's Engine/pg.sql at registry release 1.1, without its BEGIN/COMMIT and
 * with SET LOCAL instead of SET (it runs in our transaction, on the caller's
 * connection). Table, column, constraint and comment text must stay exactly
 * like sqitch's: `sqitch upgrade` and people reading `\d+` rely on them.
 */
function registryDdl(r: string): string {
  const comments: [string, string][] = [
    [`SCHEMA ${r}`, 'Sqitch database deployment metadata v1.1.'],
    [`TABLE ${r}.releases`, 'Sqitch registry releases.'],
    [`COLUMN ${r}.releases.version`, 'Version of the Sqitch registry.'],
    [`COLUMN ${r}.releases.installed_at`, 'Date the registry release was installed.'],
    [`COLUMN ${r}.releases.installer_name`, 'Name of the user who installed the registry release.'],
    [`COLUMN ${r}.releases.installer_email`, 'Email address of the user who installed the registry release.'],
    [`TABLE ${r}.projects`, 'Sqitch projects deployed to this database.'],
    [`COLUMN ${r}.projects.project`, 'Unique Name of a project.'],
    [`COLUMN ${r}.projects.uri`, 'Optional project URI'],
    [`COLUMN ${r}.projects.created_at`, 'Date the project was added to the database.'],
    [`COLUMN ${r}.projects.creator_name`, 'Name of the user who added the project.'],
    [`COLUMN ${r}.projects.creator_email`, 'Email address of the user who added the project.'],
    [`TABLE ${r}.changes`, 'Tracks the changes currently deployed to the database.'],
    [`COLUMN ${r}.changes.change_id`, 'Change primary key.'],
    [`COLUMN ${r}.changes.script_hash`, 'Deploy script SHA-1 hash.'],
    [`COLUMN ${r}.changes.change`, 'Name of a deployed change.'],
    [`COLUMN ${r}.changes.project`, 'Name of the Sqitch project to which the change belongs.'],
    [`COLUMN ${r}.changes.note`, 'Description of the change.'],
    [`COLUMN ${r}.changes.committed_at`, 'Date the change was deployed.'],
    [`COLUMN ${r}.changes.committer_name`, 'Name of the user who deployed the change.'],
    [`COLUMN ${r}.changes.committer_email`, 'Email address of the user who deployed the change.'],
    [`COLUMN ${r}.changes.planned_at`, 'Date the change was added to the plan.'],
    [`COLUMN ${r}.changes.planner_name`, 'Name of the user who planed the change.'],
    [`COLUMN ${r}.changes.planner_email`, 'Email address of the user who planned the change.'],
    [`TABLE ${r}.tags`, 'Tracks the tags currently applied to the database.'],
    [`COLUMN ${r}.tags.tag_id`, 'Tag primary key.'],
    [`COLUMN ${r}.tags.tag`, 'Project-unique tag name.'],
    [`COLUMN ${r}.tags.project`, 'Name of the Sqitch project to which the tag belongs.'],
    [`COLUMN ${r}.tags.change_id`, 'ID of last change deployed before the tag was applied.'],
    [`COLUMN ${r}.tags.note`, 'Description of the tag.'],
    [`COLUMN ${r}.tags.committed_at`, 'Date the tag was applied to the database.'],
    [`COLUMN ${r}.tags.committer_name`, 'Name of the user who applied the tag.'],
    [`COLUMN ${r}.tags.committer_email`, 'Email address of the user who applied the tag.'],
    [`COLUMN ${r}.tags.planned_at`, 'Date the tag was added to the plan.'],
    [`COLUMN ${r}.tags.planner_name`, 'Name of the user who planed the tag.'],
    [`COLUMN ${r}.tags.planner_email`, 'Email address of the user who planned the tag.'],
    [`TABLE ${r}.dependencies`, 'Tracks the currently satisfied dependencies.'],
    [`COLUMN ${r}.dependencies.change_id`, 'ID of the depending change.'],
    [`COLUMN ${r}.dependencies.type`, 'Type of dependency.'],
    [`COLUMN ${r}.dependencies.dependency`, 'Dependency name.'],
    [`COLUMN ${r}.dependencies.dependency_id`, 'Change ID the dependency resolves to.'],
    [`TABLE ${r}.events`, 'Contains full history of all deployment events.'],
    [`COLUMN ${r}.events.event`, 'Type of event.'],
    [`COLUMN ${r}.events.change_id`, 'Change ID.'],
    [`COLUMN ${r}.events.change`, 'Change name.'],
    [`COLUMN ${r}.events.project`, 'Name of the Sqitch project to which the change belongs.'],
    [`COLUMN ${r}.events.note`, 'Description of the change.'],
    [`COLUMN ${r}.events.requires`, 'Array of the names of required changes.'],
    [`COLUMN ${r}.events.conflicts`, 'Array of the names of conflicting changes.'],
    [`COLUMN ${r}.events.tags`, 'Tags associated with the change.'],
    [`COLUMN ${r}.events.committed_at`, 'Date the event was committed.'],
    [`COLUMN ${r}.events.committer_name`, 'Name of the user who committed the event.'],
    [`COLUMN ${r}.events.committer_email`, 'Email address of the user who committed the event.'],
    [`COLUMN ${r}.events.planned_at`, 'Date the event was added to the plan.'],
    [`COLUMN ${r}.events.planner_name`, 'Name of the user who planed the change.'],
    [`COLUMN ${r}.events.planner_email`, 'Email address of the user who plan planned the change.'],
  ];
  // committed_at and friends default to clock_timestamp(), not now(): rows
  // written in one transaction still get increasing times, and sqitch finds
  // the latest deployed change by ORDER BY committed_at.
  const planned = `
    committed_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    committer_name  TEXT        NOT NULL,
    committer_email TEXT        NOT NULL,
    planned_at      TIMESTAMPTZ NOT NULL,
    planner_name    TEXT        NOT NULL,
    planner_email   TEXT        NOT NULL`;
  return `
SET LOCAL client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS ${r};
CREATE TABLE ${r}.releases (
    version         REAL        PRIMARY KEY,
    installed_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    installer_name  TEXT        NOT NULL,
    installer_email TEXT        NOT NULL
);
CREATE TABLE ${r}.projects (
    project         TEXT        PRIMARY KEY,
    uri             TEXT            NULL UNIQUE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    creator_name    TEXT        NOT NULL,
    creator_email   TEXT        NOT NULL
);
CREATE TABLE ${r}.changes (
    change_id       TEXT        PRIMARY KEY,
    script_hash     TEXT            NULL,
    change          TEXT        NOT NULL,
    project         TEXT        NOT NULL REFERENCES ${r}.projects(project) ON UPDATE CASCADE,
    note            TEXT        NOT NULL DEFAULT '',${planned},
    UNIQUE(project, script_hash)
);
CREATE TABLE ${r}.tags (
    tag_id          TEXT        PRIMARY KEY,
    tag             TEXT        NOT NULL,
    project         TEXT        NOT NULL REFERENCES ${r}.projects(project) ON UPDATE CASCADE,
    change_id       TEXT        NOT NULL REFERENCES ${r}.changes(change_id) ON UPDATE CASCADE,
    note            TEXT        NOT NULL DEFAULT '',${planned},
    UNIQUE(project, tag)
);
CREATE TABLE ${r}.dependencies (
    change_id       TEXT        NOT NULL REFERENCES ${r}.changes(change_id) ON UPDATE CASCADE ON DELETE CASCADE,
    type            TEXT        NOT NULL,
    dependency      TEXT        NOT NULL,
    dependency_id   TEXT            NULL REFERENCES ${r}.changes(change_id) ON UPDATE CASCADE CONSTRAINT dependencies_check CHECK (
            (type = 'require'  AND dependency_id IS NOT NULL)
         OR (type = 'conflict' AND dependency_id IS NULL)
    ),
    PRIMARY KEY (change_id, dependency)
);
CREATE TABLE ${r}.events (
    event           TEXT        NOT NULL CONSTRAINT events_event_check CHECK (
        event IN ('deploy', 'revert', 'fail', 'merge')
    ),
    change_id       TEXT        NOT NULL,
    change          TEXT        NOT NULL,
    project         TEXT        NOT NULL REFERENCES ${r}.projects(project) ON UPDATE CASCADE,
    note            TEXT        NOT NULL DEFAULT '',
    requires        TEXT[]      NOT NULL DEFAULT '{}',
    conflicts       TEXT[]      NOT NULL DEFAULT '{}',
    tags            TEXT[]      NOT NULL DEFAULT '{}',${planned},
    PRIMARY KEY (change_id, committed_at)
);
${comments.map(([what, text]) => `COMMENT ON ${what} IS '${text}';`).join('\n')}
`;
}

async function registryExists(client: pg.ClientBase, registry: string): Promise<boolean> {
  // Engine::pg `initialized`: the registry exists when its changes table does.
  const { rows } = await client.query<{ ok: boolean }>(
    `SELECT EXISTS(SELECT TRUE FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = 'changes') AS ok`,
    [registry],
  );
  return rows[0].ok;
}

/** Creates the registry when absent, checks its version, and registers the project (Engine `initialize`, `register_project`). Called under the lock. */
async function ensureRegistry(client: pg.ClientBase, project: Project, who: Person, log: (msg: string) => void): Promise<void> {
  const r = ident(project.registry);
  if (!(await registryExists(client, project.registry))) {
    log(`Adding registry tables to schema ${project.registry}`);
    await inTransaction(client, async () => {
      await client.query(registryDdl(r));
      await client.query(`INSERT INTO ${r}.releases (version, installer_name, installer_email) VALUES ($1, $2, $3)`, [
        REGISTRY_RELEASE,
        who.name,
        who.email,
      ]);
    });
  } else {
    let version: string | null;
    try {
      version = (await client.query<{ v: string | null }>(`SELECT MAX(version)::TEXT AS v FROM ${r}.releases`)).rows[0].v;
    } catch (error) {
      if ((error as { code?: string }).code !== '42P01') throw error;
      version = null;
    }
    if (version !== REGISTRY_RELEASE) {
      throw new Error(
        Number(version ?? 0) < Number(REGISTRY_RELEASE)
          ? `The sqitch registry in schema ${project.registry} is at version ${version ?? '(none)'}, not ${REGISTRY_RELEASE}: run \`sqitch upgrade\` first`
          : `The sqitch registry in schema ${project.registry} is at version ${version}, newer than ${REGISTRY_RELEASE} which this deployer writes`,
      );
    }
  }

  const { plan } = project;
  const { rows } = await client.query<{ uri: string | null }>(`SELECT uri FROM ${r}.projects WHERE project = $1`, [plan.project]);
  if (rows.length) {
    const registered = rows[0].uri;
    if (registered !== plan.uri) {
      throw new Error(
        `Cannot register "${plan.project}" with URI ${plan.uri ?? '(none)'}: it is already registered with URI ${registered ?? '(none)'}`,
      );
    }
    return;
  }
  if (plan.uri !== null) {
    const other = await client.query<{ project: string }>(`SELECT project FROM ${r}.projects WHERE uri = $1`, [plan.uri]);
    if (other.rows.length) {
      throw new Error(`Cannot register "${plan.project}" with URI ${plan.uri}: project "${other.rows[0].project}" already uses that URI`);
    }
  }
  await client.query(`INSERT INTO ${r}.projects (project, uri, creator_name, creator_email) VALUES ($1, $2, $3, $4)`, [
    plan.project,
    plan.uri,
    who.name,
    who.email,
  ]);
}

/**
 * The plan's changes that are deployed, in plan order. sqitch orders deployed
 * changes by committed_at; they must be exactly the first N changes of the plan
 * with the same ids, otherwise the plan was edited after deployment (or this
 * is another project's database) and deploying would corrupt the registry.
 */
async function deployedPrefix(client: pg.ClientBase, project: Project): Promise<number> {
  if (!(await registryExists(client, project.registry))) return 0;
  const { plan } = project;
  const { rows } = await client.query<{ change_id: string; change: string }>(
    `SELECT change_id, change FROM ${ident(project.registry)}.changes WHERE project = $1 ORDER BY committed_at`,
    [plan.project],
  );
  rows.forEach((row, i) => {
    const planned = plan.changes[i];
    if (planned?.id === row.change_id) return;
    const file = relative(process.cwd(), project.planFile) || project.planFile;
    const byName = plan.changes.find((c) => c.name === row.change);
    const where = `the database (sqitch registry schema ${project.registry}, project ${plan.project})`;
    if (plan.changes.some((c) => c.id === row.change_id)) {
      throw new Error(
        `Change "${row.change}" (${row.change_id}) is deployed out of plan order in ${where}: position ${i + 1} of ${file} is "${planned?.name}"`,
      );
    }
    if (byName) {
      throw new Error(
        `Change "${row.change}" is deployed in ${where} with id ${row.change_id}, but ${file} line ${byName.line} gives it id ${byName.id}: ` +
          `its plan entry or one before it (name, dependencies, date, planner, note, order) changed after it was deployed`,
      );
    }
    throw new Error(`Change "${row.change}" (${row.change_id}) is deployed in ${where} but is not in ${file}`);
  });
  return rows.length;
}

/** What the registry says about the plan in `dir`: deployed change names (in order) and the pending ones. */
export async function planStatus(client: pg.ClientBase, dir: string): Promise<{ deployed: string[]; pending: string[] }> {
  const project = await loadProject(dir);
  const done = await deployedPrefix(client, project);
  const names = project.plan.changes.map((c) => c.name);
  return { deployed: names.slice(0, done), pending: names.slice(done) };
}

// ---------------------------------------------------------------------------
// Deploy

/**
 * Deploys the pending changes of the sqitch project in `opts.dir` and records
 * them in sqitch's registry like `sqitch deploy --mode change` (a failing
 * change is rolled back and logged as a `fail` event; the changes before it
 * stay deployed). The client must not be inside a transaction.
 */
export async function deployPlan(
  client: pg.ClientBase,
  opts: { dir: string; log?: (msg: string) => void },
): Promise<{ deployed: string[]; alreadyDeployed: number }> {
  const log = opts.log ?? (() => {});
  const project = await loadProject(opts.dir);
  const { plan } = project;
  if (client.getTransactionStatus() !== 'I') {
    throw new Error('deployPlan needs a connection that is not inside a transaction (deploy scripts commit their own work)');
  }
  if (plan.changes.length === 0) return { deployed: [], alreadyDeployed: 0 };

  // The same session-level lock sqitch takes: a second deployer (ours or
  // sqitch) waits here, then finds the changes deployed.
  const locked = (await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${SQITCH_LOCK_KEY}) AS ok`)).rows[0].ok;
  if (!locked) {
    log('Another sqitch deploy is working on this database; waiting for it');
    await client.query(`SELECT pg_advisory_lock(${SQITCH_LOCK_KEY})`);
  }
  try {
    const who = committer(project);
    await ensureRegistry(client, project, who, log);
    const done = await deployedPrefix(client, project);
    // sqitch's _sync_plan: tags added to the plan after its last deployed change get recorded.
    if (done > 0) await recordTags(client, project, plan.changes[done - 1], who);
    const pending = plan.changes.slice(done);
    if (pending.length === 0) {
      log('Nothing to deploy (up-to-date)');
      return { deployed: [], alreadyDeployed: done };
    }
    const resolved = await checkDependencies(client, project, pending);
    const baseline = await sessionSettings(client);
    const deployed: string[] = [];
    for (const change of pending) {
      log(`+ ${[change.name, ...change.tags.map((t) => `@${t.name}`)].join(' ')}`);
      await deployChange(client, project, change, resolved.get(change) ?? [], who, baseline);
      deployed.push(change.name);
    }
    return { deployed, alreadyDeployed: done };
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${SQITCH_LOCK_KEY})`).catch(() => {});
  }
}

/**
 * Engine::check_deploy_dependencies for all pending changes before any runs:
 * every `requires` must resolve to a deployed (or earlier pending) change id,
 * which is recorded in dependencies.dependency_id; no `conflicts` may be deployed.
 */
async function checkDependencies(
  client: pg.ClientBase,
  project: Project,
  pending: PlanChange[],
): Promise<Map<PlanChange, (string | null)[]>> {
  const { plan } = project;
  const r = ident(project.registry);
  const inRun = new Set<string>();
  const one = async (sql: string, params: unknown[]) => (await client.query<{ id: string }>(sql, params)).rows[0]?.id ?? null;
  const deployedId = async (id: string) =>
    inRun.has(id) ? id : one(`SELECT change_id AS id FROM ${r}.changes WHERE change_id = $1`, [id]);

  // Engine change_id_for: how sqitch finds a dependency in the registry.
  const lookup = async (dep: Dependency): Promise<string | null> => {
    if (dep.id !== undefined) return deployedId(dep.id);
    const proj = dep.project ?? plan.project;
    if (proj === plan.project) {
      const target =
        dep.change !== undefined
          ? plan.changes.find((c) => c.name === dep.change)
          : plan.changes.find((c) => c.tags.some((t) => t.name === dep.tag));
      return target ? deployedId(target.id) : null;
    }
    const byName = `SELECT change_id AS id FROM ${r}.changes WHERE project = $1 AND change = $2 ORDER BY committed_at`;
    if (dep.change !== undefined && dep.tag === undefined) return one(`${byName} ASC LIMIT 1`, [proj, dep.change]);
    if (dep.change !== undefined) {
      if (dep.tag === 'ROOT') return null;
      if (dep.tag === 'HEAD') return one(`${byName} DESC LIMIT 1`, [proj, dep.change]);
      return one(
        `SELECT c.change_id AS id FROM ${r}.changes c JOIN ${r}.tags t ON c.committed_at <= t.committed_at AND c.project = t.project
          WHERE c.project = $1 AND c.change = $2 AND t.tag = $3 ORDER BY c.committed_at DESC LIMIT 1`,
        [proj, dep.change, `@${dep.tag}`],
      );
    }
    if (dep.tag === 'HEAD' || dep.tag === 'ROOT') {
      return one(
        `SELECT change_id AS id FROM ${r}.changes WHERE project = $1 ORDER BY committed_at ${dep.tag === 'HEAD' ? 'DESC' : 'ASC'} LIMIT 1`,
        [proj],
      );
    }
    return one(`SELECT change_id AS id FROM ${r}.tags WHERE project = $1 AND tag = $2`, [proj, `@${dep.tag}`]);
  };

  const result = new Map<PlanChange, (string | null)[]>();
  const missing: string[] = [];
  const conflicting: string[] = [];
  for (const change of pending) {
    const ids: (string | null)[] = [];
    for (const dep of change.requires) {
      const id = await lookup(dep);
      if (!id) missing.push(`${dependencyString(dep, plan.project)} (required by ${change.name})`);
      ids.push(id);
    }
    for (const dep of change.conflicts) {
      if (await lookup(dep)) conflicting.push(`${dependencyString(dep, plan.project)} (conflicts with ${change.name})`);
      ids.push(null);
    }
    result.set(change, ids);
    inRun.add(change.id);
  }
  const msgs = [
    ...(conflicting.length ? [`Conflicts with previously deployed changes: ${conflicting.join(', ')}`] : []),
    ...(missing.length ? [`Missing required changes: ${missing.join(', ')}`] : []),
  ];
  if (msgs.length) throw new Error(msgs.join('\n'));
  return result;
}

/** Runs one change's deploy script and records it; on failure rolls back, logs a `fail` event and throws. */
async function deployChange(
  client: pg.ClientBase,
  project: Project,
  change: PlanChange,
  dependencyIds: (string | null)[],
  who: Person,
  baseline: Record<string, string>,
): Promise<void> {
  const file = scriptPath(project, 'deploy', change);
  const shown = relative(process.cwd(), file) || file;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new Error(`Cannot read the deploy script of change "${change.name}": ${(error as Error).message}`, { cause: error });
  }
  // script_hash is the sha1 of the file's bytes, exactly as sqitch computes it.
  const scriptHash = createHash('sha1').update(bytes).digest('hex');
  const sql = bytes.toString('utf8');

  const failed = async (message: string, cause?: unknown): Promise<never> => {
    // pg can reject a query before the server's ReadyForQuery tells the
    // transaction state; an empty query (allowed even in an aborted
    // transaction) brings getTransactionStatus() up to date.
    await client.query('').catch(() => {});
    if (client.getTransactionStatus() !== 'I') await client.query('ROLLBACK').catch(() => {});
    await restoreSessionSettings(client, baseline).catch(() => {});
    await logEvent(client, project, 'fail', change, who).catch(() => {});
    throw new Error(`Deploy of change "${change.name}" failed: ${message}`, { cause });
  };

  // One simple-protocol query holds the whole script, as psql would send it
  // statement by statement. A script without BEGIN/COMMIT runs as one
  // implicit transaction; one with them commits where it says.
  try {
    await client.query(sql);
  } catch (error) {
    const e = error as { message?: string; position?: string };
    const at = e.position ? ` (line ${sql.slice(0, Number(e.position) - 1).split('\n').length})` : '';
    await failed(`${shown}${at}: ${e.message ?? String(error)}`, error);
  }
  if (client.getTransactionStatus() !== 'I') {
    // psql would roll this back when the script ends, so sqitch would have deployed nothing.
    await failed(`${shown} leaves a transaction open (BEGIN without COMMIT)`);
  }

  try {
    await inTransaction(client, async () => {
      // Engine::pg begin_work: sqitch locks changes for every change it logs.
      await client.query(`LOCK TABLE ${ident(project.registry)}.changes IN EXCLUSIVE MODE`);
      await recordChange(client, project, change, scriptHash, dependencyIds, who);
    });
  } catch (error) {
    // Like sqitch: the change ran but cannot be recorded, so revert it.
    const revert = await readFile(scriptPath(project, 'revert', change), 'utf8')
      .then((text) => client.query(text))
      .then(
        () => 'it was reverted',
        (e: Error) => `its revert failed too (${e.message}); the schema needs repair by hand`,
      );
    await failed(`recording it in the sqitch registry failed (${(error as Error).message}); ${revert}`, error);
  }
  // Each psql run starts a fresh session; undo session-level SETs the script made so the next script (and our caller) see the session as before.
  await restoreSessionSettings(client, baseline);
}

/** Role::DBIEngine log_deploy_change: the change row, its dependencies, its tags and a `deploy` event, in that order. */
async function recordChange(
  client: pg.ClientBase,
  project: Project,
  change: PlanChange,
  scriptHash: string,
  dependencyIds: (string | null)[],
  who: Person,
): Promise<void> {
  const r = ident(project.registry);
  const { plan } = project;
  await client.query(
    `INSERT INTO ${r}.changes (change_id, script_hash, change, project, note, committer_name, committer_email, planned_at, planner_name, planner_email)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      change.id,
      scriptHash,
      change.name,
      plan.project,
      change.note,
      who.name,
      who.email,
      change.timestamp,
      change.plannerName,
      change.plannerEmail,
    ],
  );
  const deps = [...change.requires, ...change.conflicts];
  for (const [i, dep] of deps.entries()) {
    await client.query(`INSERT INTO ${r}.dependencies (change_id, type, dependency, dependency_id) VALUES ($1, $2, $3, $4)`, [
      change.id,
      dep.conflicts ? 'conflict' : 'require',
      dependencyString(dep, plan.project),
      dependencyIds[i] ?? null,
    ]);
  }
  await recordTags(client, project, change, who);
  await logEvent(client, project, 'deploy', change, who);
}

/** Inserts the change's tags that are not recorded yet (committed_at defaults to the clock, like sqitch). */
async function recordTags(client: pg.ClientBase, project: Project, change: PlanChange, who: Person): Promise<void> {
  const r = ident(project.registry);
  for (const tag of change.tags) {
    await client.query(
      `INSERT INTO ${r}.tags (tag_id, tag, project, change_id, note, committer_name, committer_email, planned_at, planner_name, planner_email)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
        WHERE NOT EXISTS (SELECT 1 FROM ${r}.tags WHERE tag_id = $1)`,
      [
        tag.id,
        `@${tag.name}`,
        project.plan.project,
        change.id,
        tag.note,
        who.name,
        who.email,
        tag.timestamp,
        tag.plannerName,
        tag.plannerEmail,
      ],
    );
  }
}

/** Role::DBIEngine _log_event: events keep the change's tags, requires and conflicts as text arrays. */
async function logEvent(client: pg.ClientBase, project: Project, event: 'deploy' | 'fail', change: PlanChange, who: Person): Promise<void> {
  const { plan } = project;
  await client.query(
    `INSERT INTO ${ident(project.registry)}.events
       (event, change_id, change, project, note, tags, requires, conflicts, committer_name, committer_email, planned_at, planner_name, planner_email)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      event,
      change.id,
      change.name,
      plan.project,
      change.note,
      change.tags.map((t) => `@${t.name}`),
      change.requires.map((d) => dependencyString(d, plan.project)),
      change.conflicts.map((d) => dependencyString(d, plan.project)),
      who.name,
      who.email,
      change.timestamp,
      change.plannerName,
      change.plannerEmail,
    ],
  );
}

async function inTransaction(client: pg.ClientBase, fn: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await fn();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Settings changed by SET in this session (source 'session'), by name. */
async function sessionSettings(client: pg.ClientBase): Promise<Record<string, string>> {
  const { rows } = await client.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_catalog.pg_settings WHERE source = 'session'`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
}

async function restoreSessionSettings(client: pg.ClientBase, baseline: Record<string, string>): Promise<void> {
  await client.query(
    `SELECT pg_catalog.set_config(s.name, COALESCE(b.setting, s.reset_val), false)
       FROM pg_catalog.pg_settings s
       LEFT JOIN jsonb_each_text($1::jsonb) AS b(name, setting) ON b.name = s.name
      WHERE (s.source = 'session' OR b.name IS NOT NULL)
        AND s.setting IS DISTINCT FROM COALESCE(b.setting, s.reset_val)`,
    [JSON.stringify(baseline)],
  );
}
