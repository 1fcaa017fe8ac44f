import type { NextConfig } from 'next';

// Nothing here is for the kit: no transpilePackages, no serverExternalPackages, no aliases for its optional peers.
// `turbopack.root` only keeps this example, which sits inside the kit's repository, from treating the repository
// (another lockfile) as its workspace; a project of its own does not need it.
const nextConfig: NextConfig = {
  turbopack: { root: __dirname },
};

export default nextConfig;
