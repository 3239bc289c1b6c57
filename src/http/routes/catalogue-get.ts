import { z } from 'zod';
import { PERMISSIONS } from '../../core/permissions.js';
import type { Ctx } from '../../service/context.js';
import { errors, INPUT_ERRORS } from '../schemas.js';
import type { App } from '../types.js';

const Out = z.object({
  scopes: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      keyKinds: z.array(z.enum(['application', 'customer'])),
      grants: z.array(z.object({ method: z.string(), path: z.string() })),
    }),
  ),
  roles: z.array(z.object({ name: z.string(), description: z.string(), scopes: z.array(z.string()) })),
  permissions: z.array(z.string()),
});

export function registerCatalogue(app: App, ctx: Ctx) {
  app.get(
    '/v1/catalogue',
    {
      schema: {
        tags: ['catalogue'],
        operationId: 'getCatalogue',
        summary: 'The API scopes, roles and management permissions',
        description:
          "Anyone, no credential needed. The operator's catalogue (KEYWARD_CATALOGUE): each scope with the methods and paths it grants and the key kinds it is open to, the roles (named sets of scopes), and every management permission.",
        security: [], // no management credential
        response: { 200: Out, ...errors(INPUT_ERRORS) },
      },
    },
    async () => ({ ...ctx.catalogue.catalogue, permissions: [...PERMISSIONS] }),
  );
}
