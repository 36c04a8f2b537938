/**
 * The spec's JSON Schema (draft 2020-12), for editors and other tools.
 *
 * Built from the variant table (variants.ts) through zod: each enum table
 * becomes a `$defs` entry whose `anyOf` lists every variant with its
 * description (stale spellings marked `deprecated`), each closed object gets
 * `additionalProperties: false`, and `z.toJSONSchema` writes the result. The
 * payload shapes are keyed by the tables' variant names, so a variant added
 * to the table without a payload here is a compile error.
 *
 * The schema accepts exactly the structural forms parse.ts accepts (including
 * the stale spellings and serde's `{"Unit": null}` long form) and carries the
 * single-value rules that JSON Schema can say: absolute normalised paths,
 * reserved environment paths, name lengths, port ranges, address shape. It is
 * never stricter than the parser. Rules across values (pipe ends, Trigger
 * placement, a Startup entrypoint, set conflicts, duplicate keys, UTS names
 * counted in bytes rather than characters) are the parser's alone.
 */

import { z } from "zod";
import {
  ABSOLUTE_PATH_PATTERN,
  ENTRYPOINT_NAME_PATTERN,
  ENV_MAX_VARS,
  ENV_NAME_PATTERN,
  ENV_VALUE_MAX_BYTES,
  ENVIRONMENT_PATH_PATTERN,
  LIBRARY_PATH_PATTERN,
  LISTEN_ADDR_PATTERN,
  SYSCALL_NAMES,
  TMPFS_MAX_SIZE,
  TMPFS_MIN_SIZE,
} from "./values.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what is excluded
const NO_NUL = /^[^\u0000]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is excluded
const NO_CONTROL_CHARACTERS = /^[^\s\u0000-\u001f\u007f-\u009f]+$/;
import {
  ARG_TABLE,
  type DataVariantName,
  DIRECTION_TABLE,
  ENTRYPOINT_FIELDS,
  type EnumTable,
  FAMILY_TABLE,
  FILESYSTEM_FIELDS,
  CONNECT_FIELDS,
  FORWARD_FIELDS,
  FORWARD_PROTOCOL_TABLE,
  GRANT_TABLE,
  type ObjectTable,
  ROOT_FIELDS,
  RPC_FIELDS,
  RPC_OPERATION_TABLE,
  LIMITS_FIELDS,
  SECCOMP_FIELDS,
  TCP_LISTENER_FIELDS,
  TMPFS_FIELDS,
  TRIGGER_TABLE,
  type UnitVariant,
} from "./variants.js";

/** The schema's `$id`. */
export const SPEC_SCHEMA_ID = "urn:void-run:spec-schema:1";

type Meta = Record<string, unknown>;

/** Build the zod model of the format; descriptions live in a private registry. */
function buildSpecModel(): { model: z.ZodType; registry: z.core.$ZodRegistry<Meta> } {
  const registry = z.registry<Meta>();
  const meta = <T extends z.ZodType>(schema: T, data: Meta): T => {
    registry.add(schema as z.ZodType, data);
    return schema;
  };

  const fieldDescription = (table: ObjectTable, key: string): Meta => ({
    description: table.fields.find((f) => f.key === key)?.description ?? "",
  });

  const unitForms = (variant: UnitVariant): z.ZodType[] => {
    const deprecated = variant.replacedBy === undefined ? {} : { deprecated: true };
    return [
      meta(z.literal(variant.name), { description: variant.description, ...deprecated }),
      meta(z.strictObject({ [variant.name]: z.null() }), {
        description: `Same as "${variant.name}" (serde's long form of a variant without data).`,
        ...deprecated,
      }),
    ];
  };

  const enumSchema = <T extends EnumTable>(table: T, payloads: Record<DataVariantName<T>, z.ZodType>): z.ZodType => {
    const byName: Record<string, z.ZodType> = payloads;
    const options = table.variants.flatMap((variant): z.ZodType[] => {
      if (variant.unit) return unitForms(variant);
      const payload = byName[variant.name];
      if (payload === undefined) throw new Error(`internal: no payload schema for ${variant.name}`);
      return [meta(z.strictObject({ [variant.name]: payload }), { description: variant.description })];
    });
    return meta(z.union(options), { id: table.schemaName, title: table.schemaName, description: table.description });
  };

  const name = (what: string): z.ZodType => meta(z.string().min(1), { description: `The ${what}'s name.` });
  const absolutePath = (description: string): z.ZodType => meta(z.string().regex(new RegExp(ABSOLUTE_PATH_PATTERN)), { description });
  const utsName = (description: string): z.ZodType => meta(z.string().min(1).max(64).regex(NO_NUL), { description });

  const channel = name("pipe or file socket");
  const direction = enumSchema(DIRECTION_TABLE, { Rx: channel, Tx: channel });

  const family = enumSchema(FAMILY_TABLE, {});
  const rpcPayload = meta(
    z.strictObject({
      family: meta(family.nullable().optional(), fieldDescription(RPC_FIELDS, "family")),
      port: meta(z.int().min(1).max(65535).nullable().optional(), fieldDescription(RPC_FIELDS, "port")),
      host: meta(z.string().regex(NO_CONTROL_CHARACTERS).max(253).nullable().optional(), fieldDescription(RPC_FIELDS, "host")),
    }),
    { id: "RpcTarget", title: "RpcTarget", description: "What the broker may connect to; null or absent = any." },
  );
  const rpcOperation = enumSchema(RPC_OPERATION_TABLE, { OpenTcpSocket: rpcPayload, OpenUdpSocket: rpcPayload });

  const tcpListener = z.union([
    meta(
      z.strictObject({
        addr: meta(z.string().regex(new RegExp(LISTEN_ADDR_PATTERN)), fieldDescription(TCP_LISTENER_FIELDS, "addr")),
      }),
      { description: "The address to listen on." },
    ),
    meta(z.strictObject({ port: z.int().min(0).max(65535) }), {
      description: fieldDescription(TCP_LISTENER_FIELDS, "port")["description"],
      deprecated: true,
    }),
  ]);

  const trigger = enumSchema(TRIGGER_TABLE, { Pipe: name("pipe"), FileSocket: name("file socket") });
  const arg = enumSchema(ARG_TABLE, {
    File: absolutePath("Absolute, normalised path of a host file, opened read-only by the launcher."),
    Pipe: direction,
    FileSocket: direction,
    TcpListener: tcpListener,
    Rpc: meta(z.array(rpcOperation), { description: "The operations the broker may perform." }),
  });

  const filesystem = z.strictObject({
    host_path: absolutePath(fieldDescription(FILESYSTEM_FIELDS, "host_path")["description"] as string),
    environment_path: meta(z.string().regex(new RegExp(ENVIRONMENT_PATH_PATTERN)), fieldDescription(FILESYSTEM_FIELDS, "environment_path")),
    read_only: meta(z.boolean().optional(), fieldDescription(FILESYSTEM_FIELDS, "read_only")),
    shared: meta(z.boolean().optional(), fieldDescription(FILESYSTEM_FIELDS, "shared")),
    optional: meta(z.boolean().optional(), fieldDescription(FILESYSTEM_FIELDS, "optional")),
  });
  const syscall = meta(z.enum(SYSCALL_NAMES as [string, ...string[]]), {
    description: "A Linux system call name of x86_64 or aarch64; one the host's architecture lacks is ignored there.",
  });
  const seccomp = z.strictObject({
    allow: meta(z.array(syscall).optional(), fieldDescription(SECCOMP_FIELDS, "allow")),
    deny: meta(z.array(syscall).optional(), fieldDescription(SECCOMP_FIELDS, "deny")),
  });
  const size = z.union([z.int().min(0), z.string().regex(/^\d+[KMGT]?$/)]);
  const duration = z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/)]);
  const limits = z.strictObject({
    // At least 1 MiB; the string pattern is the nearest a regex gets (the parser checks exactly).
    memory: meta(z.union([z.int().min(1024 * 1024), z.string().regex(/^(?:[1-9]\d{6,}|[1-9]\d{3,}K|[1-9]\d*[MGT])$/)]).optional(), fieldDescription(LIMITS_FIELDS, "memory")),
    memory_swap: meta(size.optional(), fieldDescription(LIMITS_FIELDS, "memory_swap")),
    pids: meta(z.int().min(1).max(4194304).optional(), fieldDescription(LIMITS_FIELDS, "pids")),
    cpu_weight: meta(z.int().min(1).max(10000).optional(), fieldDescription(LIMITS_FIELDS, "cpu_weight")),
    cpu_max: meta(z.number().min(0.01).max(4096).optional(), fieldDescription(LIMITS_FIELDS, "cpu_max")),
    timeout: meta(duration.optional(), fieldDescription(LIMITS_FIELDS, "timeout")),
    concurrency: meta(z.int().min(1).max(100000).optional(), fieldDescription(LIMITS_FIELDS, "concurrency")),
    inotify_instances: meta(z.int().min(0).max(65536).optional(), fieldDescription(LIMITS_FIELDS, "inotify_instances")),
    inotify_watches: meta(z.int().min(0).max(4194304).optional(), fieldDescription(LIMITS_FIELDS, "inotify_watches")),
  });
  const forward = z.strictObject({
    protocol: meta(enumSchema(FORWARD_PROTOCOL_TABLE, {}), fieldDescription(FORWARD_FIELDS, "protocol")),
    host_addr: meta(z.string().regex(new RegExp(LISTEN_ADDR_PATTERN)), fieldDescription(FORWARD_FIELDS, "host_addr")),
    environment_port: meta(z.int().min(1024).max(65535), fieldDescription(FORWARD_FIELDS, "environment_port")),
  });
  const connect = z.strictObject({
    protocol: meta(enumSchema(FORWARD_PROTOCOL_TABLE, {}), fieldDescription(CONNECT_FIELDS, "protocol")),
    environment_port: meta(z.int().min(1).max(65535), fieldDescription(CONNECT_FIELDS, "environment_port")),
    host_addr: meta(z.string().regex(new RegExp(LISTEN_ADDR_PATTERN)), fieldDescription(CONNECT_FIELDS, "host_addr")),
  });
  const tmpfs = z.strictObject({
    path: meta(z.string().regex(new RegExp(ENVIRONMENT_PATH_PATTERN)), fieldDescription(TMPFS_FIELDS, "path")),
    // From 4K to 1T; the string pattern is the nearest a regex gets (the parser checks exactly).
    size: meta(z.union([z.int().min(TMPFS_MIN_SIZE).max(TMPFS_MAX_SIZE), z.string().regex(/^(?:[1-9]\d{3,}|[1-9]\d*[KMGT])$/)]).optional(), fieldDescription(TMPFS_FIELDS, "size")),
  });
  const envName = z.string().regex(new RegExp(ENV_NAME_PATTERN));
  const envValue = z.string().max(ENV_VALUE_MAX_BYTES).regex(NO_NUL);
  const grant = enumSchema(GRANT_TABLE, {
    Tmpfs: tmpfs,
    WorkingDirectory: absolutePath("A directory of the void's tree: absolute and normalised."),
    Executable: absolutePath("A program on the host: absolute and normalised."),
    LibraryPath: meta(z.string().regex(new RegExp(LIBRARY_PATH_PATTERN)), {
      description: 'A directory on the host the dynamic loader also searches (LD_LIBRARY_PATH): absolute and normalised, without ":", ";" or "$".',
    }),
    Library: absolutePath("A shared object on the host (a library or an extension module): absolute and normalised."),
    Env: meta(z.record(envName, envValue), { description: `Variable names (letters, digits, _) and their values; at most ${ENV_MAX_VARS}.`, maxProperties: ENV_MAX_VARS }),
    PassEnv: meta(z.array(envName).max(ENV_MAX_VARS), { description: "Names of the launcher's environment variables to pass on." }),
    Forward: forward,
    Connect: connect,
    Filesystem: filesystem,
    Seccomp: seccomp,
    Limits: limits,
    Hostname: utsName("The void's host name: 1 to 64 bytes, no NUL."),
    DomainName: utsName("The void's NIS domain name: 1 to 64 bytes, no NUL."),
  });

  const entrypoint = meta(
    z.strictObject({
      trigger: meta(trigger.optional(), fieldDescription(ENTRYPOINT_FIELDS, "trigger")),
      args: meta(z.array(arg).optional(), fieldDescription(ENTRYPOINT_FIELDS, "args")),
      environment: meta(z.array(grant).optional(), fieldDescription(ENTRYPOINT_FIELDS, "environment")),
    }),
    { id: "Entrypoint", title: "Entrypoint", description: "One part of the program; each runs in its own void." },
  );

  const model = meta(
    z.strictObject({
      $schema: meta(z.string().optional(), fieldDescription(ROOT_FIELDS, "$schema")),
      entrypoints: meta(z.record(z.string().regex(new RegExp(ENTRYPOINT_NAME_PATTERN)), entrypoint), {
        ...fieldDescription(ROOT_FIELDS, "entrypoints"),
        minProperties: 1,
      }),
    }),
    {
      $id: SPEC_SCHEMA_ID,
      title: "void specification",
      description: "Which entrypoints of a program run, how they are started and connected, and the few things each one's void is granted.",
    },
  );
  return { model, registry };
}

let cached: object | undefined;

/** The JSON Schema of the spec format. A fresh copy on every call. */
export function specJsonSchema(): object {
  if (cached === undefined) {
    const { model, registry } = buildSpecModel();
    cached = z.toJSONSchema(model, { target: "draft-2020-12", metadata: registry });
  }
  return structuredClone(cached);
}
