// The single source of truth for what crosses processes: every channel's request and response schema.
// Main validates against these; the preload and the renderer's API type are derived from them.
import type { z } from 'zod';
import type { Channel } from '../channels';
import { appContract } from './app';
import { envContract } from './env';
import { hopContract } from './hop';
import { profilesContract } from './profiles';
import { scanContract } from './scan';
import { settingsContract } from './settings';

export interface ChannelSpec {
  request: z.ZodType;
  response: z.ZodType;
}

export const contract = {
  ...appContract,
  ...envContract,
  ...hopContract,
  ...profilesContract,
  ...settingsContract,
  ...scanContract,
} satisfies Record<Channel, ChannelSpec>;

// Compile-time proof that the contract and the channel list name exactly the same channels.
type Missing = Exclude<Channel, keyof typeof contract>;
type Extra = Exclude<keyof typeof contract, Channel>;
export const contractMatchesChannels: [Missing, Extra] extends [never, never] ? true : never = true;

export type RequestOf<C extends Channel> = z.input<(typeof contract)[C]['request']>;
export type ResponseOf<C extends Channel> = z.output<(typeof contract)[C]['response']>;
