import type {
  Channel,
  ChannelInput,
  ChannelOutput,
  EventName,
  EventPayload,
  FileRef,
  IpcContract,
} from './contract';
import { channels, eventNames } from './contract';

// The shape of window.api, derived from the contract: `import:open` -> importOpen(input),
// `event:import-progress` -> onImportProgress(listener) returning an unsubscribe function.

type Camel<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<Camel<Tail>>}`
  : S;

export type MethodName<C extends Channel> = C extends `${infer Domain}:${infer Verb}`
  ? `${Camel<Domain>}${Capitalize<Camel<Verb>>}`
  : never;

export type ListenerName<E extends EventName> = E extends `event:${infer Name}`
  ? `on${Capitalize<Camel<Name>>}`
  : never;

type Invoker<C extends Channel> = IpcContract[C]['input'] extends { _zod: { output: undefined } }
  ? () => Promise<ChannelOutput<C>>
  : (input: ChannelInput<C>) => Promise<ChannelOutput<C>>;

/**
 * Channels only the preload calls: the page gets a preload function that takes what the user
 * did (a dropped File), never one that takes a path.
 */
export const PRELOAD_ONLY_CHANNELS = ['files:record-drop'] as const satisfies readonly Channel[];
export type PreloadOnlyChannel = (typeof PRELOAD_ONLY_CHANNELS)[number];
export type PageChannel = Exclude<Channel, PreloadOnlyChannel>;

export type ChannelMethods = { [C in PageChannel as MethodName<C>]: Invoker<C> };
export type EventListeners = {
  [E in EventName as ListenerName<E>]: (listener: (payload: EventPayload<E>) => void) => () => void;
};

export interface PreloadExtras {
  /**
   * A dropped file: the preload resolves its path through Electron's webUtils and main records
   * it (files:record-drop). Resolves to null for a File with no file on disk (one the page made).
   */
  fileDropped(file: File): Promise<FileRef | null>;
}

export type Api = ChannelMethods & EventListeners & PreloadExtras;

export const PRELOAD_EXTRAS = ['fileDropped'] as const satisfies readonly (keyof PreloadExtras)[];

function camel(text: string): string {
  return text.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function methodName<C extends Channel>(channel: C): MethodName<C> {
  const [domain = '', verb = ''] = channel.split(':');
  return `${camel(domain)}${capitalize(camel(verb))}` as MethodName<C>;
}

export function listenerName<E extends EventName>(event: E): ListenerName<E> {
  return `on${capitalize(camel(event.slice('event:'.length)))}` as ListenerName<E>;
}

/** The channels the page reaches through window.api (one named function each). */
export const pageChannels = channels.filter(
  (c): c is PageChannel => !(PRELOAD_ONLY_CHANNELS as readonly Channel[]).includes(c),
);

/** Every key window.api has, sorted: the security spec checks the page against this. */
export function apiKeys(): string[] {
  return [
    ...pageChannels.map(methodName),
    ...eventNames.map(listenerName),
    ...PRELOAD_EXTRAS,
  ].sort();
}

/** What a handler sends back over IPC: errors travel as data so their message stays readable. */
export type IpcResult<T> =
  { ok: true; value: T } | { ok: false; error: { message: string; code: string } };
