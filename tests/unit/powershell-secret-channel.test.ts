// The secret channel's Node half: the frame, the private home of the pipes, and the delivery that
// waits for the module's pipe to appear (a real Unix socket here, standing in for the module).
import { statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createChannelHome, deliverSecrets, frameSecrets, newChannelId } from '../../src/main/powershell/secret-channel';

const homes: { dispose(): void }[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) h.dispose();
});

function listen(path: string): Promise<{ server: Server; received: Promise<Buffer> }> {
  let resolveReceived: (b: Buffer) => void = () => undefined;
  const received = new Promise<Buffer>((r) => (resolveReceived = r));
  const server = createServer((socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolveReceived(Buffer.concat(chunks)));
  });
  return new Promise((r) => server.listen(path, () => r({ server, received })));
}

describe('the secret channel (main\'s half)', () => {
  it('frames secrets as CHS1, a count, then length-prefixed UTF-8 — and the next frame is whole again', () => {
    const f = frameSecrets(['pä', '']);
    expect([...f]).toEqual([0x43, 0x48, 0x53, 0x31, 2, 3, 0, 0, 0, 0x70, 0xc3, 0xa4, 0, 0, 0, 0]);
    expect(frameSecrets(['x']).subarray(0, 4).toString('latin1')).toBe('CHS1'); // the magic is not zeroed with a frame
    expect(() => frameSecrets([])).toThrow();
    expect(() => frameSecrets(['x'.repeat(4097)])).toThrow(/4096/);
  });

  it('keeps each PowerShell\'s pipes in a folder only this user can enter, removed with it', () => {
    const home = createChannelHome('linux');
    homes.push(home);
    const dir = home.prefix.slice(0, home.prefix.lastIndexOf('/'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const id = newChannelId();
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(home.pathFor(id)).toBe(`${home.prefix}-${id}`);
    home.dispose();
    expect(() => statSync(dir)).toThrow();
  });

  it('on Windows names a pipe with a random prefix the command text never shows', () => {
    const a = createChannelHome('win32');
    const b = createChannelHome('win32');
    expect(a.prefix).toMatch(/^credhop-[0-9a-f]{24}$/);
    expect(a.prefix).not.toBe(b.prefix);
    expect(a.pathFor('0123456789abcdef')).toBe(`\\\\.\\pipe\\${a.prefix}-0123456789abcdef`);
  });

  it('waits for the pipe to appear, then writes the frame once and zeroes it', async () => {
    const home = createChannelHome('linux');
    homes.push(home);
    const path = home.pathFor(newChannelId());
    const delivery = deliverSecrets(path, ['s3cret'], 2);
    await new Promise((r) => setTimeout(r, 50)); // the module has not opened its pipe yet
    const { server, received } = await listen(path);
    expect(await delivery.done).toBe(true);
    expect((await received).toString('latin1')).toContain('s3cret');
    server.close();
  });

  it('gives up without writing anything when the call ends first', async () => {
    const home = createChannelHome('linux');
    homes.push(home);
    const delivery = deliverSecrets(home.pathFor(newChannelId()), ['never-sent'], 2);
    delivery.stop();
    expect(await delivery.done).toBe(false);
  });
});
