import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { isAppNavigation, resolveAppAsset } from '../../src/main/window/app-protocol';
import { isSameAppOrigin } from '../../src/main/ipc/sender';

const root = '/opt/credhop/out/renderer';

describe('app:// protocol', () => {
  it('serves files of the renderer folder', () => {
    expect(resolveAppAsset('app://credhop/index.html', root)).toBe(join(root, 'index.html'));
    expect(resolveAppAsset('app://credhop/', root)).toBe(join(root, 'index.html'));
    expect(resolveAppAsset('app://credhop/assets/index-1.js', root)).toBe(join(root, 'assets/index-1.js'));
  });

  it.each([
    'app://credhop/..%2f..%2fetc%2fpasswd',
    'app://credhop/assets/..%5c..%5csecret',
    'app://credhop/a%00b',
    'app://other/index.html',
    'file:///etc/passwd',
    'app://credhop/%E0%A4%A',
    'not a url',
  ])('refuses %s', (url) => {
    expect(resolveAppAsset(url, root)).toBeNull();
  });

  it.each(['app://credhop/../../etc/passwd', 'app://credhop/%2e%2e/%2e%2e/etc/passwd'])(
    'keeps %s inside the renderer folder (the URL parser folds the dots)',
    (url) => {
      const file = resolveAppAsset(url, root);
      expect(file === null || file.startsWith(root + '/')).toBe(true);
    },
  );

  it('allows navigation only inside the app', () => {
    expect(isAppNavigation('app://credhop/index.html#x', 'app://credhop/index.html')).toBe(true);
    expect(isAppNavigation('https://example.com/', 'app://credhop/index.html')).toBe(false);
    expect(isAppNavigation('file:///C:/Windows/', 'app://credhop/index.html')).toBe(false);
  });

  it('compares origins by scheme, host and port', () => {
    expect(isSameAppOrigin('app://credhop/x', 'app://credhop/index.html')).toBe(true);
    expect(isSameAppOrigin('app://credhop.evil/x', 'app://credhop/index.html')).toBe(false);
    expect(isSameAppOrigin('http://localhost:5173/', 'http://localhost:5173/')).toBe(true);
    expect(isSameAppOrigin('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isSameAppOrigin('about:blank', 'about:blank')).toBe(false);
  });
});
