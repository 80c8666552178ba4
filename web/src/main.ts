interface Health {
  status: string
  database: 'embedded' | 'postgis'
  postgis: string
}

const status = document.querySelector<HTMLParagraphElement>('#status')!

async function showHealth() {
  try {
    const response = await fetch('/health')
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    const health = (await response.json()) as Health
    const database = health.database === 'embedded' ? '内置数据库 embedded PGlite' : 'PostGIS 服务器 server'
    status.textContent = `服务正常 · Service up — ${database}, PostGIS ${health.postgis}`
    status.className = 'ok'
  } catch (error) {
    status.textContent = `服务不可用 · Service unavailable (${(error as Error).message})`
    status.className = 'error'
  }
}

void showHealth()
