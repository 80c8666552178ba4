import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import { MapConfigSchema, type MapConfig } from '../../schemas/map.ts'

// Tianditu's Web-Mercator WMTS (tile matrix set "w"), spread over its eight hosts t0–t7.
function tiandituTiles(layer: string, key: string): string[] {
  return Array.from(
    { length: 8 },
    (_, i) => `https://t${i}.tianditu.gov.cn/${layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=${layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=${key}`,
  )
}

/** What the map desk needs before drawing: the basemap and the extent of the registry. */
const mapRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/map-config',
    { config: { access: 'public' }, schema: { tags: ['map'], summary: 'Basemap settings and the area to show', response: { 200: MapConfigSchema } } },
    async (): Promise<MapConfig> => {
      const { config } = app
      const extent = await sql<{ xmin: number | null; ymin: number | null; xmax: number | null; ymax: number | null }>`
        select ST_XMin(e) as xmin, ST_YMin(e) as ymin, ST_XMax(e) as xmax, ST_YMax(e) as ymax
        from (select ST_Extent(geom) as e from counties) as extent`.execute(app.db)
      const row = extent.rows[0]
      // Guyuan's five counties, when no boundaries are loaded yet.
      const bounds = row?.xmin != null ? [row.xmin, row.ymin!, row.xmax!, row.ymax!] : [105.3, 35.2, 106.97, 36.6]
      const key = config.tiandituKey
      return {
        tianditu: key
          ? {
              key,
              style: config.tiandituStyle,
              tiles: config.tiandituStyle === 'imagery' ? [tiandituTiles('img', key), tiandituTiles('cia', key)] : [tiandituTiles('vec', key), tiandituTiles('cva', key)],
              attribution: '© 天地图 Tianditu (国家地理信息公共服务平台)',
            }
          : null,
        approvalNumber: config.mapApprovalNumber ?? null,
        bounds,
      }
    },
  )
}

export default mapRoutes
