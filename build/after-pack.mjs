// electron-builder afterPack hook: flips Electron's fuses in the packed binary before it is
// signed and wrapped into AppImage/deb/NSIS/dmg. Fuses are compiled-in switches that a user (or
// malware) cannot turn back on with flags or environment variables:
// - RunAsNode off: ELECTRON_RUN_AS_NODE cannot turn the app into a plain Node interpreter;
// - NODE_OPTIONS off and --inspect off: no code injection or debugger through the command line;
// - embedded asar integrity on + only load from asar: a modified app.asar refuses to start
//   (validated on macOS and Windows by Electron 41; electron-builder writes the hashes).
import { FuseV1Options, FuseVersion, flipFuses } from '@electron/fuses';
import { join } from 'node:path';

/** The fuse configuration, exported so it can be checked without packaging. */
export const FUSES = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

/** Path of the Electron executable inside electron-builder's output folder. */
export function electronBinaryPath(appOutDir, platform, productFilename, executableName) {
  switch (platform) {
    case 'darwin':
    case 'mas':
      return join(appOutDir, `${productFilename}.app`, 'Contents', 'MacOS', productFilename);
    case 'win32':
      return join(appOutDir, `${productFilename}.exe`);
    default:
      return join(appOutDir, executableName);
  }
}

/** @param {import('app-builder-lib').AfterPackContext} context */
export default async function afterPack(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  const binary = electronBinaryPath(
    appOutDir,
    electronPlatformName,
    packager.appInfo.productFilename,
    packager.executableName,
  );
  await flipFuses(binary, {
    ...FUSES,
    // Flipping fuses invalidates an ad-hoc signature (Apple silicon); re-sign it so the app runs.
    resetAdHocDarwinSignature: electronPlatformName === 'darwin' && context.arch === 3,
  });
}
